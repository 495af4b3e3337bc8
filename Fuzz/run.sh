#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/harnesses (never part of the package build) with
# AddressSanitizer, then runs each for a given time.
#
#   Fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS...]     default: 60 s, all harnesses
#   Fuzz/run.sh 600 DecodeImage                         e.g. ten minutes of image decoding
#   FUZZ_JOBS=1 FUZZ_FLAGS="-max_len=65536" Fuzz/run.sh
#
# The library (Swift + the CCodecs C layer) is compiled straight from Sources/ with
# coverage and ASan into .build-fuzz/; libjpeg, libpng and OpenBLAS are the uninstrumented
# system libraries, so coverage counts our code paths, not theirs. Each harness starts
# from its committed seeds in Fuzz/corpus/NAME/ and grows a working corpus in
# .build-fuzz/corpus/NAME/; crashes land in .build-fuzz/crashes/NAME/ and make the script
# exit non-zero. Logs: .build-fuzz/NAME.log. Runs under `nice` (the machine is shared).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
seconds=${1:-60}
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    harnesses=($(cd Fuzz/harnesses && ls *.swift | sed 's/\.swift$//'))
fi
out=.build-fuzz
mkdir -p "$out/obj" "$out/module" "$out/bin"

# gold warns once per ASan assembly helper it cannot export; harmless, and hundreds of lines.
quiet() { "$@" 2> >(grep -v "Cannot export local symbol" >&2); }

# --- the library, once: C objects, then the Swift module as a static library.
cflags=(-O1 -g -fsanitize=address,fuzzer-no-link -fPIC
        -ISources/CCodecs/include $(pkg-config --cflags libjpeg libpng))
for source in Sources/CCodecs/*.c; do
    object="$out/obj/$(basename "${source%.c}").o"
    if [ ! -f "$object" ] || [ "$source" -nt "$object" ]; then
        nice -n 15 clang "${cflags[@]}" -c "$source" -o "$object"
    fi
done
# SwiftPM synthesises this module map for a C target's include/ directory; do the same.
mkdir -p "$out/include/CCodecs"
cp Sources/CCodecs/include/ccodecs.h "$out/include/CCodecs/"
printf 'module CCodecs {\n    header "ccodecs.h"\n    export *\n}\n' > "$out/include/CCodecs/module.modulemap"

swift_sources=$(find Sources/DilatedViT -name '*.swift' | sort)
library="$out/module/libDilatedViT.a"
if [ ! -f "$library" ] || [ -n "$(find Sources/DilatedViT -name '*.swift' -newer "$library")" ]; then
    echo "compiling DilatedViT with -sanitize=fuzzer,address (a few minutes)"
    # -parse-as-library: no top-level code; -static + -emit-library: an archive, linked below.
    nice -n 15 swiftc -O -g -swift-version 6 -parse-as-library -module-name DilatedViT -package-name DilatedViT \
        -sanitize=fuzzer,address -emit-library -static -emit-module \
        -emit-module-path "$out/module/DilatedViT.swiftmodule" -o "$library" \
        -I "$out/include/CCodecs" -I Sources/CJPEG -I Sources/CPNG -I Sources/COpenBLAS \
        -Xcc -I/usr/include/libpng16 $(pkg-config --cflags openblas | sed 's/-I/-Xcc -I/g') \
        $swift_sources
fi

# --- each harness, linked against the library, the C objects and the system libraries.
for name in "${harnesses[@]}"; do
    binary="$out/bin/$name"
    if [ ! -f "$binary" ] || [ "Fuzz/harnesses/$name.swift" -nt "$binary" ] || [ "$library" -nt "$binary" ]; then
        quiet nice -n 15 swiftc -O -g -swift-version 6 -parse-as-library -package-name DilatedViT -sanitize=fuzzer,address \
            -I "$out/module" -I "$out/include/CCodecs" -I Sources/CJPEG -I Sources/CPNG -I Sources/COpenBLAS \
            -Xcc -I/usr/include/libpng16 \
            "Fuzz/harnesses/$name.swift" "$library" "$out"/obj/*.o \
            $(pkg-config --libs libjpeg libpng openblas) -o "$binary"
    fi
done

# --- run.
status=0
for name in "${harnesses[@]}"; do
    mkdir -p "$out/corpus/$name" "$out/crashes/$name"
    echo "fuzzing $name for ${seconds}s (log: $out/$name.log)"
    # -rss_limit_mb: a hostile header must be refused, not allocated; 2 GB is generous.
    # -timeout is wall-clock: at nice 19 beside a training run a 1 ms input can wait
    # tens of seconds for a core, so only a real hang should trip it.
    if ! nice -n 15 "$out/bin/$name" "$out/corpus/$name" "Fuzz/corpus/$name" \
            -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=${FUZZ_TIMEOUT:-120} -print_final_stats=1 \
            -artifact_prefix="$out/crashes/$name/" ${FUZZ_FLAGS:-} > "$out/$name.log" 2>&1; then
        echo "$name: FAILED, see $out/$name.log and $out/crashes/$name/" >&2
        status=1
    fi
    grep -E '^#[0-9]+ *DONE|^stat::number_of_executed_units|^stat::peak_rss_mb|^stat::new_units_added' "$out/$name.log" || true
done
exit $status
