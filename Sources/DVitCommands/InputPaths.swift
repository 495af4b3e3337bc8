import DilatedViT

/// Expands command-line inputs into photo paths: files and folders through `PhotoFiles`
/// (the library's one walk), and `-` for one file path per line on standard input, taken
/// exactly (only the line break is removed; a folder there is an error, not searched, as
/// `find … | dvit classify -` lists files). Every input that yields no photo comes back
/// with why.
enum InputPaths {
    static func expand(_ arguments: [String]) -> (photos: [String], skipped: [PhotoFiles.Skipped]) {
        var photos: [String] = []
        var skipped: [PhotoFiles.Skipped] = []
        for argument in arguments {
            if argument == "-" {
                let before = photos.count + skipped.count
                while let line = readLine(strippingNewline: true) {
                    if line.isEmpty { continue }
                    if line.contains("\0") {
                        skipped.append(.init(path: line.replacingOccurrences(of: "\0", with: "\\0"),
                                             reason: "path on standard input contains a NUL byte"))
                        continue
                    }
                    photos.append(line)
                }
                if photos.count + skipped.count == before {
                    skipped.append(.init(path: "-", reason: "no paths on standard input"))
                }
            } else {
                let found = PhotoFiles.photos(at: argument)
                photos += found.photos
                skipped += found.skipped
            }
        }
        return (photos, skipped)
    }
}
