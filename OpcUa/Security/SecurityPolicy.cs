using System.Security.Cryptography;

namespace MqttIoT.OpcUa.Security;

/// <summary>
/// The algorithms of one SecurityPolicy (OPC 10000-7, the policy profiles; OPC 10000-6 §6.7): how OpenSecureChannel
/// messages are encrypted and signed with the applications' RSA keys, how the keys of the symmetric messages are
/// derived (P_SHA256) and how those are signed (HMAC-SHA256) and encrypted (AES-CBC).
/// </summary>
public sealed record SecurityPolicy
{
    private const string Prefix = "http://opcfoundation.org/UA/SecurityPolicy#";

    /// <summary>No security.</summary>
    public static SecurityPolicy None { get; } = new()
    {
        Uri = Prefix + "None", Name = "None", Rank = 0,
        AsymmetricEncryption = RSAEncryptionPadding.OaepSHA1, AsymmetricEncryptionUri = "", AsymmetricSignature = RSASignaturePadding.Pkcs1,
        AsymmetricSignatureUri = "", EncryptionKeyLength = 0,
    };

    /// <summary>RSA-OAEP (SHA-1) and RSA PKCS#1 v1.5 SHA-256 for the handshake, AES-256-CBC and HMAC-SHA256 after it.</summary>
    public static SecurityPolicy Basic256Sha256 { get; } = new()
    {
        Uri = Prefix + "Basic256Sha256", Name = "Basic256Sha256", Rank = 2,
        AsymmetricEncryption = RSAEncryptionPadding.OaepSHA1, AsymmetricEncryptionUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep",
        AsymmetricSignature = RSASignaturePadding.Pkcs1, AsymmetricSignatureUri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        EncryptionKeyLength = 32,
    };

    /// <summary>As <see cref="Basic256Sha256"/> with AES-128-CBC for the symmetric messages.</summary>
    public static SecurityPolicy Aes128Sha256RsaOaep { get; } = new()
    {
        Uri = Prefix + "Aes128_Sha256_RsaOaep", Name = "Aes128_Sha256_RsaOaep", Rank = 1,
        AsymmetricEncryption = RSAEncryptionPadding.OaepSHA1, AsymmetricEncryptionUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep",
        AsymmetricSignature = RSASignaturePadding.Pkcs1, AsymmetricSignatureUri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        EncryptionKeyLength = 16,
    };

    /// <summary>RSA-OAEP (SHA-256) and RSA-PSS SHA-256 for the handshake, AES-256-CBC and HMAC-SHA256 after it.</summary>
    public static SecurityPolicy Aes256Sha256RsaPss { get; } = new()
    {
        Uri = Prefix + "Aes256_Sha256_RsaPss", Name = "Aes256_Sha256_RsaPss", Rank = 3,
        AsymmetricEncryption = RSAEncryptionPadding.OaepSHA256, AsymmetricEncryptionUri = "http://opcfoundation.org/UA/security/rsa-oaep-sha2-256",
        AsymmetricSignature = RSASignaturePadding.Pss, AsymmetricSignatureUri = "http://opcfoundation.org/UA/security/rsa-pss-sha2-256",
        EncryptionKeyLength = 32,
    };

    /// <summary>Every policy this client speaks.</summary>
    public static IReadOnlyList<SecurityPolicy> All { get; } = [None, Basic256Sha256, Aes128Sha256RsaOaep, Aes256Sha256RsaPss];

    /// <summary>The policy URI.</summary>
    public required string Uri { get; init; }

    /// <summary>The short name (the URI's fragment).</summary>
    public required string Name { get; init; }

    /// <summary>Higher is stronger: how endpoints of equal SecurityLevel are ranked.</summary>
    public required int Rank { get; init; }

    /// <summary>How OpenSecureChannel messages and secrets (passwords) are encrypted for the receiver's RSA key.</summary>
    public required RSAEncryptionPadding AsymmetricEncryption { get; init; }

    /// <summary>The URI of <see cref="AsymmetricEncryption"/> (a UserNameIdentityToken's EncryptionAlgorithm).</summary>
    public required string AsymmetricEncryptionUri { get; init; }

    /// <summary>How OpenSecureChannel messages, and the session signatures, are signed with the sender's RSA key (SHA-256).</summary>
    public required RSASignaturePadding AsymmetricSignature { get; init; }

    /// <summary>The URI of <see cref="AsymmetricSignature"/> (SignatureData.Algorithm).</summary>
    public required string AsymmetricSignatureUri { get; init; }

    /// <summary>AES key length in bytes of the symmetric messages.</summary>
    public required int EncryptionKeyLength { get; init; }

    /// <summary>HMAC-SHA256 key length.</summary>
    public int SigningKeyLength => 32;

    /// <summary>HMAC-SHA256 signature length.</summary>
    public int SymmetricSignatureLength => 32;

    /// <summary>AES block size (and IV length).</summary>
    public int BlockSize => 16;

    /// <summary>Nonce length of OpenSecureChannel and CreateSession.</summary>
    public int NonceLength => 32;

    /// <summary>How many bytes of plain text RSA-OAEP takes per block of a key of <paramref name="keyBytes"/> bytes.</summary>
    public int PlainBlockSize(int keyBytes) => keyBytes - (AsymmetricEncryption == RSAEncryptionPadding.OaepSHA256 ? 66 : 42);

    /// <summary>Whether this is SecurityPolicy None.</summary>
    public bool IsNone => Rank == 0;

    /// <summary>The policy of a URI (or short name), or null for one this client does not speak.</summary>
    public static SecurityPolicy? Find(string? uriOrName) =>
        string.IsNullOrEmpty(uriOrName) ? null : All.FirstOrDefault(p => p.Uri == uriOrName || string.Equals(p.Name, uriOrName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Signs with the policy's asymmetric signature (SHA-256).</summary>
    public byte[] Sign(RSA key, ReadOnlySpan<byte> data) => key.SignData(data, HashAlgorithmName.SHA256, AsymmetricSignature);

    /// <summary>Verifies the policy's asymmetric signature (SHA-256).</summary>
    public bool Verify(RSA key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        key.VerifyData(data, signature, HashAlgorithmName.SHA256, AsymmetricSignature);

    /// <summary>Encrypts for an RSA public key, block by block.</summary>
    public byte[] Encrypt(RSA key, ReadOnlySpan<byte> plain)
    {
        int keyBytes = key.KeySize / 8;
        int block = PlainBlockSize(keyBytes);
        int blocks = (plain.Length + block - 1) / block;
        var output = new byte[blocks * keyBytes];
        for (int i = 0; i < blocks; i++)
        {
            var piece = plain.Slice(i * block, Math.Min(block, plain.Length - i * block));
            if (!key.TryEncrypt(piece, output.AsSpan(i * keyBytes, keyBytes), AsymmetricEncryption, out int written) || written != keyBytes)
                throw new CryptographicException("RSA encryption gave an unexpected length");
        }
        return output;
    }

    /// <summary>Decrypts with an RSA private key, block by block.</summary>
    public byte[] Decrypt(RSA key, ReadOnlySpan<byte> cipher)
    {
        int keyBytes = key.KeySize / 8;
        if (cipher.Length % keyBytes != 0) throw new CryptographicException($"{cipher.Length} bytes are not whole {keyBytes}-byte RSA blocks");
        var output = new List<byte>(cipher.Length);
        var buffer = new byte[keyBytes];
        for (int at = 0; at < cipher.Length; at += keyBytes)
        {
            if (!key.TryDecrypt(cipher.Slice(at, keyBytes), buffer, AsymmetricEncryption, out int written))
                throw new CryptographicException("RSA decryption failed");
            output.AddRange(buffer.AsSpan(0, written));
        }
        return [.. output];
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
