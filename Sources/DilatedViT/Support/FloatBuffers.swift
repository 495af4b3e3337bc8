/// Float buffers that live and die together — the activations of one forward pass or one
/// training step: each is zero-filled when taken, and all are freed with their owner.
package final class FloatBuffers {
    private var pointers: [UnsafeMutablePointer<Float>] = []

    package init() {}

    /// A zeroed buffer of `count` floats (at least one, so that every buffer has an address).
    package func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        pointers.append(pointer)
        return pointer
    }

    deinit {
        for pointer in pointers { pointer.deallocate() }
    }
}
