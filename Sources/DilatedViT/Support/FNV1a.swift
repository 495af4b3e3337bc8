/// 64-bit FNV-1a of `bytes`: a stable, platform-independent hash for assigning photos to
/// shards and for checksumming checkpoint files (not a cryptographic digest). `continuing`
/// an earlier hash extends it, as if the two byte runs were one.
package func fnv1a64(_ bytes: some Sequence<UInt8>, continuing hash: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
    var hash = hash
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
}
