using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;

namespace MqttIoT.OpcUa;

/// <summary>One-node conveniences over <see cref="IOpcUaSession"/> that turn Bad results into exceptions.</summary>
public static class OpcUaSessionExtensions
{
    /// <summary>Most BrowseNext rounds followed for one browse: a server that hands out continuation points forever is stopped here.</summary>
    public const int MaxBrowseNextRounds = 10_000;

    /// <summary>Reads one attribute (Value by default); a Bad status throws.</summary>
    public static async Task<DataValue> ReadValueAsync(this IOpcUaSession session, NodeId node, CancellationToken cancellationToken,
        uint attributeId = AttributeIds.Value)
    {
        var value = (await session.ReadAsync([new ReadValueId(node, attributeId)], 0, TimestampsToReturn.Both, cancellationToken).ConfigureAwait(false))[0];
        if (value.StatusCode.IsBad) throw new OpcUaException(value.StatusCode, $"reading {node}");
        return value;
    }

    /// <summary>Browses nodes and follows every continuation point with BrowseNext; a node that cannot be browsed throws.</summary>
    public static async Task<IReadOnlyList<IReadOnlyList<ReferenceDescription>>> BrowseAllAsync(this IOpcUaSession session,
        IReadOnlyList<BrowseDescription> nodes, uint maxReferencesPerNode, CancellationToken cancellationToken)
    {
        var results = await session.BrowseAsync(nodes, maxReferencesPerNode, cancellationToken).ConfigureAwait(false);
        var references = new List<ReferenceDescription>[nodes.Count];
        var pending = new List<(int Index, byte[] Point)>();
        for (int i = 0; i < nodes.Count; i++)
        {
            if (results[i].StatusCode.IsBad) throw new OpcUaException(results[i].StatusCode, $"browsing {nodes[i].NodeId}");
            references[i] = [.. results[i].References];
            if (results[i].ContinuationPoint is { } cp) pending.Add((i, cp));
        }
        for (int round = 0; pending.Count > 0; round++)
        {
            if (round == MaxBrowseNextRounds)
            {
                await session.BrowseNextAsync(pending.Select(p => p.Point).ToList(), true, cancellationToken).ConfigureAwait(false);
                throw new OpcUaException(StatusCodes.BadTooManyOperations, $"browsing did not end after {MaxBrowseNextRounds} BrowseNext rounds");
            }
            var next = await session.BrowseNextAsync(pending.Select(p => p.Point).ToList(), false, cancellationToken).ConfigureAwait(false);
            var still = new List<(int, byte[])>();
            for (int j = 0; j < pending.Count; j++)
            {
                int i = pending[j].Index;
                if (next[j].StatusCode.IsBad) throw new OpcUaException(next[j].StatusCode, $"BrowseNext of {nodes[i].NodeId}");
                references[i].AddRange(next[j].References);
                if (next[j].ContinuationPoint is { } cp) still.Add((i, cp));
            }
            pending = still;
        }
        return references;
    }

    /// <summary>Browses one node completely.</summary>
    public static async Task<IReadOnlyList<ReferenceDescription>> BrowseAllAsync(this IOpcUaSession session, BrowseDescription node,
        uint maxReferencesPerNode, CancellationToken cancellationToken) =>
        (await session.BrowseAllAsync([node], maxReferencesPerNode, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Calls one method; a Bad result throws. Returns the output arguments.</summary>
    public static async Task<IReadOnlyList<Variant>> CallMethodAsync(this IOpcUaSession session, NodeId objectId, NodeId methodId,
        IReadOnlyList<Variant> inputArguments, CancellationToken cancellationToken)
    {
        var result = (await session.CallAsync([new CallMethodRequest(objectId, methodId, inputArguments)], cancellationToken).ConfigureAwait(false))[0];
        if (result.StatusCode.IsBad) throw new OpcUaException(result.StatusCode, $"calling {methodId} on {objectId}");
        return result.OutputArguments;
    }
}
