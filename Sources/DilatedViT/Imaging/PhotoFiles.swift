#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one walk from what a user names — files and folders — to photo paths, shared by
/// classify, embed, evaluate and training data sets.
///
/// - A named file is taken as it is (the decoder sniffs its format and reports it if it is
///   missing, unreadable or not a photo).
/// - A folder is walked recursively in byte order of names, following symbolic links; a
///   folder met twice (a link loop, or two links to one folder) is walked once.
/// - In a folder, a file named `.jpg`, `.jpeg`, `.jpe` or `.png` (any case) is a photo, and
///   so is any other file whose first bytes are an image signature (photos saved without an
///   extension); entries whose names start with `.` are not looked at, as in `ls`.
/// - Everything else met in a folder is skipped **with a reason**: files that are not
///   images, FIFOs and devices (never opened: reading one may never end), unreadable
///   folders, broken links, names that are not UTF-8; and a folder holding no photo at all.
public enum PhotoFiles {
    public static let photoExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png"]

    /// An input that yields no photo, and why.
    public struct Skipped: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }

        public var description: String { "\(path.escapingControlCharacters): \(reason)" }
    }

    /// The photos `path` names, and everything under it that was skipped.
    public static func photos(at path: String) -> (photos: [String], skipped: [Skipped]) {
        var status = stat()
        guard stat(path, &status) == 0, FileKind(mode: status.st_mode) == .directory else {
            return ([path], [])
        }
        var walk = Walk()
        walk.visit(folder: path, status: status)
        if walk.photos.isEmpty {
            walk.skipped.append(Skipped(path: path, reason: "no JPEG or PNG photo in this folder"))
        }
        return (walk.photos, walk.skipped)
    }

    private struct Walk {
        var photos: [String] = []
        var skipped: [Skipped] = []
        /// (device, inode) of every folder walked so far.
        var visited: Set<[UInt64]> = []

        mutating func visit(folder: String, status: stat) {
            guard visited.insert([UInt64(status.st_dev), UInt64(status.st_ino)]).inserted else {
                skipped.append(Skipped(path: folder, reason: "folder already walked (a symbolic link loop or a second link to it)"))
                return
            }
            guard let names = Self.entries(of: folder) else {
                skipped.append(Skipped(path: folder, reason: "cannot read folder (\(String(cString: strerror(errno))))"))
                return
            }
            for raw in names where raw.first != UInt8(ascii: ".") {
                guard let name = String(validating: raw, as: UTF8.self) else {
                    let shown = String(decoding: raw, as: UTF8.self)
                    skipped.append(Skipped(path: join(folder, shown), reason: "file name is not valid UTF-8; rename it to read it"))
                    continue
                }
                visit(entry: join(folder, name))
            }
        }

        mutating func visit(entry path: String) {
            var status = stat()
            guard stat(path, &status) == 0 else {
                let reason = String(cString: strerror(errno))
                skipped.append(Skipped(path: path, reason: "cannot read (\(reason)\(errno == ENOENT ? ": a broken symbolic link" : ""))"))
                return
            }
            switch FileKind(mode: status.st_mode) {
            case .directory:
                visit(folder: path, status: status)
            case .regular:
                if photoExtensions.contains(Self.pathExtension(path)) || Self.hasImageSignature(path) {
                    photos.append(path)
                } else {
                    skipped.append(Skipped(path: path, reason: "not a JPEG or PNG photo (neither its name nor its first bytes)"))
                }
            case let kind:
                skipped.append(Skipped(path: path, reason: "not a photo file: it is \(kind?.name ?? "of an unknown type")"))
            }
        }

        private func join(_ folder: String, _ name: String) -> String {
            folder.hasSuffix("/") ? folder + name : folder + "/" + name
        }

        /// Entry names as raw bytes, sorted, or nil (errno set) when the folder cannot be read.
        private static func entries(of folder: String) -> [[UInt8]]? {
            guard let directory = opendir(folder) else { return nil }
            defer { closedir(directory) }
            var names: [[UInt8]] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                    Array(bytes.prefix { $0 != 0 })
                }
                if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
            }
            return names.sorted { $0.lexicographicallyPrecedes($1) }
        }

        private static func pathExtension(_ path: String) -> String {
            guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return "" }
            return path[path.index(after: dot)...].lowercased()
        }

        /// Whether the file starts with a known image signature (decodable or not: an
        /// extension-less GIF is then reported by the decoder as unsupported, by name).
        private static func hasImageSignature(_ path: String) -> Bool {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else { return true }  // let the decoder report why it cannot be read
            defer { close(descriptor) }
            var head = [UInt8](repeating: 0, count: 12)
            let count = head.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 12) }
            return count > 0 && ImageFormat(sniffing: head.prefix(count)) != nil
        }
    }
}

extension String {
    /// The string with control characters (newline, tab, escape…) written as escapes, so a
    /// file name can never break a one-line-per-photo output or a terminal.
    public var escapingControlCharacters: String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.generalCategory == .control }
        guard unicodeScalars.contains(where: isControl) else { return self }
        var result = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isControl(scalar):
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
