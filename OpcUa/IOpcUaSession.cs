using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa;

/// <summary>
/// An activated OPC UA session: the services the gateway needs, shaped like the official .NET stack's session
/// (<c>ReadAsync</c>, <c>WriteAsync</c>, <c>BrowseAsync</c>, <c>BrowseNextAsync</c>, <c>CallAsync</c>, subscriptions with
/// monitored items), so that stack can stand behind this interface later. Service-level failures throw
/// <see cref="OpcUaException"/>; per-operation results come back as status codes, as in the services themselves.
/// </summary>
public interface IOpcUaSession : IAsyncDisposable
{
    /// <summary>The endpoint the session runs on.</summary>
    string EndpointUrl { get; }

    /// <summary>The session id the server gave.</summary>
    NodeId SessionId { get; }

    /// <summary>Whether the session can still be used (not closed, connection up).</summary>
    bool IsConnected { get; }

    /// <summary>Raised once when the connection breaks under the session (not when it is closed on purpose).</summary>
    event Action<OpcUaException>? ConnectionLost;

    /// <summary>The Read service (OPC 10000-4 §5.10.2): one DataValue per item, in order.</summary>
    Task<IReadOnlyList<DataValue>> ReadAsync(IReadOnlyList<ReadValueId> nodesToRead, double maxAge, TimestampsToReturn timestampsToReturn,
        CancellationToken cancellationToken);

    /// <summary>The Write service (OPC 10000-4 §5.10.4): one status per item, in order.</summary>
    Task<IReadOnlyList<StatusCode>> WriteAsync(IReadOnlyList<WriteValue> nodesToWrite, CancellationToken cancellationToken);

    /// <summary>The Browse service (OPC 10000-4 §5.8.2); 0 for <paramref name="requestedMaxReferencesPerNode"/> lets the server choose.</summary>
    Task<IReadOnlyList<BrowseResult>> BrowseAsync(IReadOnlyList<BrowseDescription> nodesToBrowse, uint requestedMaxReferencesPerNode,
        CancellationToken cancellationToken);

    /// <summary>The BrowseNext service (OPC 10000-4 §5.8.3): the next references for each continuation point, or releases them.</summary>
    Task<IReadOnlyList<BrowseResult>> BrowseNextAsync(IReadOnlyList<byte[]> continuationPoints, bool releaseContinuationPoints,
        CancellationToken cancellationToken);

    /// <summary>The Call service (OPC 10000-4 §5.11.2).</summary>
    Task<IReadOnlyList<CallMethodResult>> CallAsync(IReadOnlyList<CallMethodRequest> methodsToCall, CancellationToken cancellationToken);

    /// <summary>CreateSubscription (OPC 10000-4 §5.13.2); the session keeps Publish requests outstanding while it has subscriptions.</summary>
    Task<OpcUaSubscription> CreateSubscriptionAsync(SubscriptionOptions options, CancellationToken cancellationToken);

    /// <summary>CloseSession (deleting its subscriptions), then closes the secure channel.</summary>
    Task CloseAsync(CancellationToken cancellationToken);
}
