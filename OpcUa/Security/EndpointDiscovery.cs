using Microsoft.Extensions.Logging;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.OpcUa.Transport;

namespace MqttIoT.OpcUa.Security;

/// <summary>
/// What a secured connection needs before its channel opens: the server's endpoints (GetEndpoints on a channel with
/// SecurityPolicy None, which every server offers for discovery), the one chosen, the application certificate and
/// the validated server certificate.
/// </summary>
internal static partial class EndpointDiscovery
{
    /// <summary>GetEndpoints on a None channel of its own, closed afterwards.</summary>
    public static async Task<IReadOnlyList<EndpointDescription>> GetEndpointsAsync(OpcUaClientOptions options, ILogger logger, TimeProvider time,
        CancellationToken cancellationToken)
    {
        await using var channel = await SecureChannel.OpenAsync(options, null, logger, time, cancellationToken).ConfigureAwait(false);
        var e = new BinaryEncoder();
        e.WriteNodeId(new NodeId(EncodingIds.GetEndpointsRequest));
        new RequestHeader(NodeId.Null, time.GetUtcNow().UtcDateTime, 1, (uint)options.OperationTimeout.TotalMilliseconds).Encode(e);
        e.WriteString(options.EndpointUrl);
        e.WriteInt32(-1); // LocaleIds
        e.WriteInt32(-1); // ProfileUris
        var (typeId, d) = await channel.RequestAsync(e.Written, options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        var header = ResponseHeader.Decode(d);
        if (typeId == EncodingIds.ServiceFault || header.ServiceResult.IsBad)
            throw new OpcUaException(header.ServiceResult.IsBad ? header.ServiceResult : new StatusCode(StatusCodes.BadUnknownResponse), "GetEndpoints failed");
        if (typeId != EncodingIds.GetEndpointsResponse) throw new OpcUaException(StatusCodes.BadUnknownResponse, $"GetEndpoints was answered with type {typeId}");
        var endpoints = d.ReadList(() => EndpointDescription.Decode(d));
        await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
        return endpoints;
    }

    /// <summary>
    /// The endpoint to use and, unless it is SecurityPolicy None, the channel security for it: the application
    /// certificate (created on first use) and the server's, validated against the PKI folder.
    /// </summary>
    public static async Task<(EndpointDescription Endpoint, ChannelSecurity? Security)> PrepareAsync(OpcUaClientOptions options, ILogger logger,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var endpoints = await GetEndpointsAsync(options, logger, time, cancellationToken).ConfigureAwait(false);
        var endpoint = EndpointSelector.Choose(endpoints, options.SecurityPolicy, options.SecurityMode);
        var policy = SecurityPolicy.Find(endpoint.SecurityPolicyUri)!;
        if (policy.IsNone || endpoint.Mode == MessageSecurityMode.None) return (endpoint, null);
        var store = new CertificateStore(options.PkiPath);
        var own = store.GetOrCreateApplicationCertificate(options.ApplicationUri, time);
        var server = CertificateChecks.Load(endpoint.ServerCertificate);
        try
        {
            if (CertificateChecks.Validate(server, endpoint.ServerApplicationUri, store, options.TrustServerCertificateOnFirstUse, time.GetUtcNow().UtcDateTime))
                LogTrustedOnFirstUse(logger, server.Subject, server.Thumbprint, store.TrustedCerts);
        }
        catch (OpcUaException ex)
        {
            LogCertificateRefused(logger, options.EndpointUrl, ex.Status.Name, ex.Message);
            server.Dispose();
            own.Dispose();
            throw;
        }
        LogEndpointChosen(logger, options.EndpointUrl, policy.Name, endpoint.Mode.ToString());
        return (endpoint, new ChannelSecurity(policy, endpoint.Mode, own, server));
    }

    [LoggerMessage(EventId = 2520, Level = LogLevel.Warning, Message = "Trusted the server certificate {Subject} ({Thumbprint}) on first use, in {Folder}")]
    private static partial void LogTrustedOnFirstUse(ILogger logger, string subject, string thumbprint, string folder);

    [LoggerMessage(EventId = 2521, Level = LogLevel.Error, Message = "Refused the server certificate of {Endpoint}: {Status}: {Reason}")]
    private static partial void LogCertificateRefused(ILogger logger, string endpoint, string status, string reason);

    [LoggerMessage(EventId = 2522, Level = LogLevel.Information, Message = "Connecting to {Endpoint} with {Policy}/{Mode}")]
    private static partial void LogEndpointChosen(ILogger logger, string endpoint, string policy, string mode);
}
