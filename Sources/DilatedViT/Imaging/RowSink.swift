/// A Swift closure behind a C decoder's row callback (`ccodecs_png_decode_rows`,
/// `ccodecs_jpeg_decode_rows`): pass `context` as the callback's context, keep the sink alive
/// for the call, and forward each row with `deliver`.
final class RowSink {
    let consume: (UnsafePointer<UInt8>) -> Void

    init(_ consume: @escaping (UnsafePointer<UInt8>) -> Void) { self.consume = consume }

    var context: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func deliver(_ row: UnsafePointer<UInt8>?, to context: UnsafeMutableRawPointer?) {
        Unmanaged<RowSink>.fromOpaque(context!).takeUnretainedValue().consume(row!)
    }
}
