using System.Security.Cryptography;

namespace MqttIoT.OpcUa.Security;

/// <summary>
/// The keys one side of a secure channel protects its symmetric messages with, for one token: derived from the two
/// nonces with P_SHA256 (OPC 10000-6 §6.7.5) as signing key, encrypting key and initialization vector, in that order.
/// The client's keys take the server nonce as secret and the client nonce as seed; the server's the other way round.
/// </summary>
internal sealed class SymmetricKeys : IDisposable
{
    private readonly Aes _aes;
    private readonly byte[] _iv;

    private SymmetricKeys(byte[] signingKey, byte[] encryptingKey, byte[] iv)
    {
        SigningKey = signingKey;
        _iv = iv;
        _aes = Aes.Create();
        _aes.Key = encryptingKey;
    }

    public byte[] SigningKey { get; }

    /// <summary>Derives one side's keys: P_SHA256(secret, seed), cut into signing key, encrypting key and IV.</summary>
    public static SymmetricKeys Derive(SecurityPolicy policy, byte[] secret, byte[] seed)
    {
        var bytes = PSha256(secret, seed, policy.SigningKeyLength + policy.EncryptionKeyLength + policy.BlockSize);
        return new SymmetricKeys(bytes[..policy.SigningKeyLength],
            bytes[policy.SigningKeyLength..(policy.SigningKeyLength + policy.EncryptionKeyLength)],
            bytes[(policy.SigningKeyLength + policy.EncryptionKeyLength)..]);
    }

    /// <summary>P_SHA256 of RFC 5246 §5: A(0) = seed, A(i) = HMAC(secret, A(i-1)); output HMAC(secret, A(i) + seed) for i = 1, 2, ...</summary>
    internal static byte[] PSha256(byte[] secret, byte[] seed, int length)
    {
        var output = new byte[length];
        var a = seed;
        int at = 0;
        while (at < length)
        {
            a = HMACSHA256.HashData(secret, a);
            var block = HMACSHA256.HashData(secret, a.Concat(seed).ToArray());
            int n = Math.Min(block.Length, length - at);
            block.AsSpan(0, n).CopyTo(output.AsSpan(at));
            at += n;
        }
        return output;
    }

    public byte[] Sign(ReadOnlySpan<byte> data) => HMACSHA256.HashData(SigningKey, data);

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(SigningKey, data), signature);

    /// <summary>AES-CBC in place with the derived IV; the caller has padded to whole blocks (OPC UA pads itself).</summary>
    public void Encrypt(Span<byte> data) => _aes.EncryptCbc(data, _iv, data, PaddingMode.None);

    public void Decrypt(Span<byte> data) => _aes.DecryptCbc(data, _iv, data, PaddingMode.None);

    public void Dispose() => _aes.Dispose();
}
