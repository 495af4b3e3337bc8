import Foundation

/// Expands command-line inputs into photo paths: files as given, directories walked
/// recursively (JPEG and PNG names only, sorted), and `-` for one path per line on stdin.
enum InputPaths {
    static let photoExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png"]

    static func expand(_ arguments: [String]) -> [String] {
        var paths = [String]()
        for argument in arguments {
            if argument == "-" {
                while let line = readLine() {
                    let path = line.trimmingCharacters(in: .whitespaces)
                    if !path.isEmpty { paths.append(path) }
                }
            } else if isDirectory(argument) {
                paths += photos(under: argument)
            } else {
                paths.append(argument)  // missing or unreadable files fail later, with their name
            }
        }
        return paths
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    private static func photos(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found = [String]()
        while let relative = walker.nextObject() as? String {
            let path = (directory as NSString).appendingPathComponent(relative)
            if photoExtensions.contains((relative as NSString).pathExtension.lowercased()) && !isDirectory(path) {
                found.append(path)
            }
        }
        return found.sorted()
    }
}
