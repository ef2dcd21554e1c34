import Crypto
import _CryptoExtras

// swift-crypto's public single-block AES (`AES.permute`) rebuilds the key schedule on every call and handles one
// block at a time (~175 ns/block measured). ipcrypt-pfx needs 64–256 independent blocks per address, so when
// swift-crypto's BoringSSL module is importable we use its ECB mode directly: the key schedule is built once and a
// whole address's blocks go through AES-NI in one call (~5 ns/block). The `AES.permute` path stays as the fallback
// and is checked against the same test vectors.
#if canImport(CCryptoBoringSSL)
import CCryptoBoringSSL
#endif

/// Forward AES-128 over independent 16-byte blocks, in place.
protocol AESBlockEncrypting: AnyObject {
  func encrypt(_ blocks: UnsafeMutablePointer<UInt8>, blockCount: Int)
}

/// AES-128 in the forward direction over independent 16-byte blocks (ECB), keyed once.
///
/// Not thread-safe: each ``Pseudonymizer`` owns its own instance.
final class AESBlockEncryptor: AESBlockEncrypting {
  static let blockSize = 16

  #if canImport(CCryptoBoringSSL)
  private let context: UnsafeMutablePointer<EVP_CIPHER_CTX>

  /// `key` must be 16 bytes.
  init(key: [UInt8]) {
    precondition(key.count == 16, "AES-128 key must be 16 bytes")
    guard let context = CCryptoBoringSSL_EVP_CIPHER_CTX_new() else { fatalError("out of memory") }
    self.context = context
    let ok = key.withUnsafeBufferPointer {
      CCryptoBoringSSL_EVP_EncryptInit_ex(context, CCryptoBoringSSL_EVP_aes_128_ecb(), nil, $0.baseAddress, nil)
    }
    precondition(ok == 1, "AES-128-ECB initialisation failed")
    _ = CCryptoBoringSSL_EVP_CIPHER_CTX_set_padding(context, 0)
  }

  deinit { CCryptoBoringSSL_EVP_CIPHER_CTX_free(context) }

  /// Encrypts `blockCount` blocks at `blocks` in place.
  func encrypt(_ blocks: UnsafeMutablePointer<UInt8>, blockCount: Int) {
    var written: Int32 = 0
    let ok = CCryptoBoringSSL_EVP_EncryptUpdate(
      context, blocks, &written, blocks, Int32(blockCount * Self.blockSize))
    precondition(ok == 1 && Int(written) == blockCount * Self.blockSize, "AES-128-ECB failed")
  }
  #else
  private let fallback: PermuteBlockEncryptor

  init(key: [UInt8]) { fallback = PermuteBlockEncryptor(key: key) }

  func encrypt(_ blocks: UnsafeMutablePointer<UInt8>, blockCount: Int) {
    fallback.encrypt(blocks, blockCount: blockCount)
  }
  #endif
}

/// Single-block AES through swift-crypto's public `AES.permute`: portable and slow (re-keys per block).
final class PermuteBlockEncryptor: AESBlockEncrypting {
  private let key: SymmetricKey

  init(key: [UInt8]) {
    precondition(key.count == 16, "AES-128 key must be 16 bytes")
    self.key = SymmetricKey(data: key)
  }

  func encrypt(_ blocks: UnsafeMutablePointer<UInt8>, blockCount: Int) {
    for index in 0..<blockCount {
      var block = UnsafeMutableBufferPointer(start: blocks + index * AESBlockEncryptor.blockSize, count: 16)
      // The payload and key sizes are fixed above, the only conditions `permute` throws for.
      try! AES.permute(&block, key: key)
    }
  }
}
