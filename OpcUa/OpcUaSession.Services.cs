using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa;

/// <summary>The attribute, view and method services.</summary>
public sealed partial class OpcUaSession
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<DataValue>> ReadAsync(IReadOnlyList<ReadValueId> nodesToRead, double maxAge, TimestampsToReturn timestampsToReturn,
        CancellationToken cancellationToken)
    {
        var (_, d) = await CallServiceAsync("Read", EncodingIds.ReadRequest, EncodingIds.ReadResponse, e =>
        {
            e.WriteDouble(maxAge);
            e.WriteInt32((int)timestampsToReturn);
            e.WriteArray(nodesToRead, n => n.Encode(e));
        }, cancellationToken).ConfigureAwait(false);
        return Expect("Read", d.ReadList(d.ReadDataValue), nodesToRead.Count);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StatusCode>> WriteAsync(IReadOnlyList<WriteValue> nodesToWrite, CancellationToken cancellationToken)
    {
        var (_, d) = await CallServiceAsync("Write", EncodingIds.WriteRequest, EncodingIds.WriteResponse,
            e => e.WriteArray(nodesToWrite, n => n.Encode(e)), cancellationToken).ConfigureAwait(false);
        return Expect("Write", d.ReadList(d.ReadStatusCode), nodesToWrite.Count);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BrowseResult>> BrowseAsync(IReadOnlyList<BrowseDescription> nodesToBrowse, uint requestedMaxReferencesPerNode,
        CancellationToken cancellationToken)
    {
        var (_, d) = await CallServiceAsync("Browse", EncodingIds.BrowseRequest, EncodingIds.BrowseResponse, e =>
        {
            e.WriteNodeId(NodeId.Null); // View: the whole address space
            e.WriteDateTime(DateTime.MinValue);
            e.WriteUInt32(0);
            e.WriteUInt32(requestedMaxReferencesPerNode);
            e.WriteArray(nodesToBrowse, n => n.Encode(e));
        }, cancellationToken).ConfigureAwait(false);
        return Expect("Browse", d.ReadList(() => BrowseResult.Decode(d)), nodesToBrowse.Count);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BrowseResult>> BrowseNextAsync(IReadOnlyList<byte[]> continuationPoints, bool releaseContinuationPoints,
        CancellationToken cancellationToken)
    {
        var (_, d) = await CallServiceAsync("BrowseNext", EncodingIds.BrowseNextRequest, EncodingIds.BrowseNextResponse, e =>
        {
            e.WriteBoolean(releaseContinuationPoints);
            e.WriteArray(continuationPoints, e.WriteByteString);
        }, cancellationToken).ConfigureAwait(false);
        return Expect("BrowseNext", d.ReadList(() => BrowseResult.Decode(d)), continuationPoints.Count);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CallMethodResult>> CallAsync(IReadOnlyList<CallMethodRequest> methodsToCall, CancellationToken cancellationToken)
    {
        var (_, d) = await CallServiceAsync("Call", EncodingIds.CallRequest, EncodingIds.CallResponse,
            e => e.WriteArray(methodsToCall, m => m.Encode(e)), cancellationToken).ConfigureAwait(false);
        return Expect("Call", d.ReadList(() => CallMethodResult.Decode(d)), methodsToCall.Count);
    }

    private static T[] Expect<T>(string service, T[] results, int count) => results.Length == count
        ? results
        : throw new OpcUaException(StatusCodes.BadUnknownResponse, $"{service} returned {results.Length} results for {count} operations");
}
