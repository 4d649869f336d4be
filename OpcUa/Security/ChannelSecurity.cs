using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MqttIoT.OpcUa.Binary;

namespace MqttIoT.OpcUa.Security;

/// <summary>
/// Message security of one secure channel (OPC 10000-6 §6.7): OpenSecureChannel chunks signed with this
/// application's key and encrypted for the server's (in both Sign and SignAndEncrypt), symmetric chunks signed with
/// HMAC-SHA256 and, in SignAndEncrypt, AES-CBC encrypted with the keys derived for the current token. The keys of
/// the previous token stay for receiving until the server has moved on, as it may answer with the old token for a
/// while after a renewal.
/// </summary>
internal sealed class ChannelSecurity : IDisposable
{
    private const int MessageHeaderSize = 8;
    private readonly Lock _lock = new();
    private readonly List<(uint TokenId, SymmetricKeys Client, SymmetricKeys Server)> _tokens = [];
    private readonly RSA _localKey;
    private readonly RSA _remoteKey;
    private uint _sendToken;

    public ChannelSecurity(SecurityPolicy policy, MessageSecurityMode mode, X509Certificate2 localCertificate, X509Certificate2 remoteCertificate)
    {
        if (policy.IsNone || mode is not (MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt))
            throw new ArgumentException("channel security needs a policy other than None and mode Sign or SignAndEncrypt");
        Policy = policy;
        Mode = mode;
        LocalCertificate = localCertificate;
        RemoteCertificate = remoteCertificate;
        _localKey = localCertificate.GetRSAPrivateKey() ?? throw new ArgumentException("the application certificate has no RSA private key");
        _remoteKey = remoteCertificate.GetRSAPublicKey()
            ?? throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the server certificate has no RSA key");
        RemoteThumbprint = SHA1.HashData(remoteCertificate.RawData);
    }

    public SecurityPolicy Policy { get; }

    public MessageSecurityMode Mode { get; }

    public X509Certificate2 LocalCertificate { get; }

    public X509Certificate2 RemoteCertificate { get; }

    public byte[] RemoteThumbprint { get; }

    private bool Encrypts => Mode == MessageSecurityMode.SignAndEncrypt;

    public byte[] NewNonce() => RandomNumberGenerator.GetBytes(Policy.NonceLength);

    /// <summary>Derives the keys of a token the server issued, which from now on protects what this client sends.</summary>
    public void InstallToken(uint tokenId, byte[] clientNonce, byte[] serverNonce)
    {
        if (serverNonce.Length != Policy.NonceLength)
            throw new OpcUaException(StatusCodes.BadNonceInvalid, $"the server nonce has {serverNonce.Length} bytes, {Policy.Name} needs {Policy.NonceLength}");
        var client = SymmetricKeys.Derive(Policy, serverNonce, clientNonce);
        var server = SymmetricKeys.Derive(Policy, clientNonce, serverNonce);
        lock (_lock)
        {
            _tokens.Add((tokenId, client, server));
            // Two tokens are honoured: the new one and the one before, which the server may still answer with.
            while (_tokens.Count > 2)
            {
                _tokens[0].Client.Dispose();
                _tokens[0].Server.Dispose();
                _tokens.RemoveAt(0);
            }
            _sendToken = tokenId;
        }
    }

    /// <summary>How many body bytes fit in one symmetric chunk of <paramref name="chunkSize"/> bytes.</summary>
    public int MaxBodyPerChunk(int chunkSize)
    {
        int signature = Policy.SymmetricSignatureLength;
        if (!Encrypts) return chunkSize - 24 - signature;
        int blocks = (chunkSize - 16) / Policy.BlockSize * Policy.BlockSize;
        return blocks - 8 - signature - 1;
    }

    /// <summary>The asymmetric security header of OPN: policy, this application's certificate, the receiver's thumbprint.</summary>
    public void WriteAsymmetricHeader(BinaryEncoder e)
    {
        e.WriteString(Policy.Uri);
        e.WriteByteString(LocalCertificate.RawData);
        e.WriteByteString(RemoteThumbprint);
    }

    /// <summary>
    /// Protects an OPN chunk: <paramref name="prefixLength"/> bytes of message and security header (left in the
    /// clear), then sequence header and body. Pads for the server's RSA block, signs everything with this
    /// application's key, encrypts from the sequence header on for the server's key, and sets the message size.
    /// </summary>
    public byte[] ProtectAsymmetric(ReadOnlySpan<byte> chunk, int prefixLength)
    {
        int remoteBytes = _remoteKey.KeySize / 8;
        int plainBlock = Policy.PlainBlockSize(remoteBytes);
        int signatureLength = _localKey.KeySize / 8;
        bool extra = plainBlock > 256;
        int plainLength = chunk.Length - prefixLength;
        int unpadded = plainLength + 1 + (extra ? 1 : 0) + signatureLength;
        int padding = (plainBlock - unpadded % plainBlock) % plainBlock;
        int blocks = (unpadded + padding) / plainBlock;
        int size = prefixLength + blocks * remoteBytes;

        var signed = new byte[chunk.Length + 1 + padding + (extra ? 1 : 0)];
        chunk.CopyTo(signed);
        BinaryPrimitives.WriteUInt32LittleEndian(signed.AsSpan(4), (uint)size);
        signed.AsSpan(chunk.Length, 1 + padding).Fill((byte)(padding & 0xFF));
        if (extra) signed[^1] = (byte)(padding >> 8);
        var signature = Policy.Sign(_localKey, signed);
        var encrypted = Policy.Encrypt(_remoteKey, [.. signed.AsSpan(prefixLength), .. signature]);
        var output = new byte[size];
        signed.AsSpan(0, prefixLength).CopyTo(output);
        encrypted.CopyTo(output.AsSpan(prefixLength));
        return output;
    }

    /// <summary>
    /// Opens an OPN chunk from the server (<paramref name="body"/> is what follows the 8-byte message header; the
    /// security header ends at <paramref name="securityHeaderEnd"/>): decrypts with this application's key, checks the
    /// server's signature and the padding, and returns the body as an unprotected one (headers, sequence header, message).
    /// </summary>
    public byte[] UnprotectAsymmetric(ReadOnlySpan<byte> header, byte[] body, int securityHeaderEnd)
    {
        byte[] plain;
        try { plain = Policy.Decrypt(_localKey, body.AsSpan(securityHeaderEnd)); }
        catch (CryptographicException ex) { throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "the OpenSecureChannel response does not decrypt", ex); }
        int signatureLength = _remoteKey.KeySize / 8;
        if (plain.Length < signatureLength + 9)
            throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "the OpenSecureChannel response is too short for its signature");
        var signed = new byte[header.Length + securityHeaderEnd + plain.Length - signatureLength];
        header.CopyTo(signed);
        body.AsSpan(0, securityHeaderEnd).CopyTo(signed.AsSpan(header.Length));
        plain.AsSpan(0, plain.Length - signatureLength).CopyTo(signed.AsSpan(header.Length + securityHeaderEnd));
        if (!Policy.Verify(_remoteKey, signed, plain.AsSpan(plain.Length - signatureLength)))
            throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "the OpenSecureChannel response's signature is wrong");
        bool extra = Policy.PlainBlockSize(_localKey.KeySize / 8) > 256;
        int end = StripPadding(plain, plain.Length - signatureLength, extra);
        return [.. body.AsSpan(0, securityHeaderEnd), .. plain.AsSpan(0, end)];
    }

    /// <summary>Signs (and encrypts) a symmetric chunk built unprotected: header (12), token (4), sequence header (8), body.</summary>
    public byte[] ProtectSymmetric(ReadOnlySpan<byte> chunk)
    {
        SymmetricKeys keys;
        uint token;
        lock (_lock) (keys, token) = (_tokens[^1].Client, _sendToken);
        int signatureLength = Policy.SymmetricSignatureLength;
        int padding = 0;
        int paddingBytes = 0;
        if (Encrypts)
        {
            int unpadded = chunk.Length - 16 + 1 + signatureLength;
            padding = (Policy.BlockSize - unpadded % Policy.BlockSize) % Policy.BlockSize;
            paddingBytes = 1 + padding;
        }
        var output = new byte[chunk.Length + paddingBytes + signatureLength];
        chunk.CopyTo(output);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(4), (uint)output.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(12), token);
        if (Encrypts) output.AsSpan(chunk.Length, paddingBytes).Fill((byte)padding);
        keys.Sign(output.AsSpan(0, output.Length - signatureLength)).CopyTo(output.AsSpan(output.Length - signatureLength));
        if (Encrypts) keys.Encrypt(output.AsSpan(16));
        return output;
    }

    /// <summary>The token id symmetric chunks are sent with.</summary>
    public uint SendToken
    {
        get { lock (_lock) return _sendToken; }
    }

    /// <summary>
    /// Opens a symmetric chunk from the server (<paramref name="body"/> follows the 8-byte header: channel id, token
    /// id, then the protected part): decrypts, checks the signature and padding, returns the unprotected body.
    /// </summary>
    public byte[] UnprotectSymmetric(ReadOnlySpan<byte> header, byte[] body)
    {
        if (body.Length < 8) throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "a secured chunk without its token id");
        uint tokenId = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(4));
        SymmetricKeys? keys = null;
        lock (_lock)
            foreach (var t in _tokens)
                if (t.TokenId == tokenId) keys = t.Server;
        if (keys is null) throw new OpcUaException(StatusCodes.BadSecureChannelTokenUnknown, $"a chunk secured with token {tokenId}, which this channel does not have");
        int signatureLength = Policy.SymmetricSignatureLength;
        var data = body.ToArray();
        if (Encrypts)
        {
            if ((data.Length - 8) % Policy.BlockSize != 0 || data.Length - 8 < signatureLength + 9)
                throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, $"an encrypted chunk of {data.Length - 8} bytes is not whole AES blocks");
            keys.Decrypt(data.AsSpan(8));
        }
        else if (data.Length < 16 + signatureLength) throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "a signed chunk too short for its signature");
        var signed = new byte[header.Length + data.Length - signatureLength];
        header.CopyTo(signed);
        data.AsSpan(0, data.Length - signatureLength).CopyTo(signed.AsSpan(header.Length));
        if (!keys.Verify(signed, data.AsSpan(data.Length - signatureLength)))
            throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "a chunk's signature is wrong");
        int end = Encrypts ? StripPadding(data, data.Length - signatureLength, extra: false) : data.Length - signatureLength;
        return data[..end];
    }

    /// <summary>Where the message ends before its padding, which ends at <paramref name="end"/>; bad padding throws.</summary>
    private static int StripPadding(byte[] plain, int end, bool extra)
    {
        // [PaddingSize][Padding: PaddingSize times its low byte][ExtraPaddingSize: its high byte, for keys over 2048 bits]
        int extraBytes = extra ? 1 : 0;
        int count = extra ? plain[end - 1] << 8 | plain[end - 2] : plain[end - 1];
        int start = end - extraBytes - count - 1;
        if (start < 0) throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "the padding is longer than the chunk");
        byte low = (byte)count;
        for (int i = start; i < end - extraBytes; i++)
            if (plain[i] != low) throw new OpcUaException(StatusCodes.BadSecurityChecksFailed, "the padding bytes are wrong");
        return start;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var t in _tokens)
            {
                t.Client.Dispose();
                t.Server.Dispose();
            }
            _tokens.Clear();
        }
        _localKey.Dispose();
        _remoteKey.Dispose();
    }
}
