using System.Diagnostics;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>An object found by a browse: what a device is made of.</summary>
internal sealed record DiscoveredObject(NodeId NodeId, string BrowseName, string DisplayName,
    Dictionary<string, OpcUaVariable> Keys, Dictionary<string, NodeId> Methods);

/// <summary>
/// Discovery: whether it may run, the browse running now (one at a time; STOP_DISCOVERY and DISABLE_DISCOVERY
/// cancel it) and how long the last one took. The browse itself is one browse of the root, one of all objects
/// found, one Read of every variable's type.
/// </summary>
internal sealed class OpcUaDiscovery
{
    private const int ReadBatch = 1000;

    private readonly OpcUaStationOptions _options;
    private readonly NodeId _root;
    private readonly Lock _lock = new();
    private bool _enabled = true;
    private CancellationTokenSource? _browse;
    private double? _lastMs;

    public OpcUaDiscovery(OpcUaStationOptions options)
    {
        _options = options;
        _root = NodeId.Parse(options.RootNode);
    }

    public NodeId Root => _root;

    public bool Enabled { get { lock (_lock) return _enabled; } }

    public bool Running { get { lock (_lock) return _browse is not null; } }

    public double? LastMs { get { lock (_lock) return _lastMs; } }

    public void Enable()
    {
        lock (_lock) _enabled = true;
    }

    /// <summary>Disables discovery and stops the browse running, if any: true when one was.</summary>
    public bool Disable()
    {
        lock (_lock) _enabled = false;
        return Stop();
    }

    /// <summary>Stops the browse running, if any: true when one was (its DISCOVERY_STOPPED is then the caller's to send).</summary>
    public bool Stop()
    {
        CancellationTokenSource? browse;
        lock (_lock)
        {
            browse = _browse;
            _browse = null;
        }
        // Not disposed: the browse may still be linking its token, and a source without a timer holds nothing.
        browse?.Cancel();
        return browse is not null;
    }

    /// <summary>
    /// Browses the server for devices. Returns null when a browse is running already (nothing more to do), the
    /// objects found otherwise, or an empty list when the browse was stopped. <c>EndedByItself</c> says whether this
    /// browse ended by itself (its DISCOVERY_STOPPED is the caller's to send) rather than being stopped; a browse that
    /// fails calls <paramref name="failed"/> first when it was not stopped.
    /// </summary>
    public async Task<(List<DiscoveredObject>? Found, bool EndedByItself)> RunAsync(IOpcUaSession session, Action started, Action failed,
        CancellationToken cancellationToken)
    {
        var browse = new CancellationTokenSource();
        lock (_lock)
        {
            if (!_enabled) throw new IoTException(ErrorCode.InvalidState, $"discovery is disabled on station '{_options.StationId}'");
            if (_browse is not null) return (null, false);
            _browse = browse;
        }
        started();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, browse.Token);
        try
        {
            var watch = Stopwatch.StartNew();
            var found = await BrowseAsync(session, linked.Token).ConfigureAwait(false);
            lock (_lock) _lastMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1);
            return (found, Finish(browse));
        }
        catch (OperationCanceledException) when (browse.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return ([], false);
        }
        catch
        {
            if (Finish(browse)) failed();
            throw;
        }
    }

    /// <summary>Ends the browse if it is still the one running: false when a stop took it first.</summary>
    private bool Finish(CancellationTokenSource browse)
    {
        lock (_lock)
        {
            if (_browse != browse) return false;
            _browse = null;
            return true;
        }
    }

    private async Task<List<DiscoveredObject>> BrowseAsync(IOpcUaSession session, CancellationToken cancellationToken)
    {
        var objects = (await session.BrowseAllAsync(new BrowseDescription(_root, NodeClassMask: NodeClass.Object), _options.MaxReferencesPerNode,
            cancellationToken).ConfigureAwait(false)).Where(r => r.NodeId.IsLocal).ToList();
        if (objects.Count == 0) return [];
        var children = await session.BrowseAllAsync(
            objects.Select(o => new BrowseDescription(o.NodeId.NodeId, NodeClassMask: NodeClass.Variable | NodeClass.Method)).ToList(),
            _options.MaxReferencesPerNode, cancellationToken).ConfigureAwait(false);

        var variables = children.SelectMany(c => c).Where(r => r.NodeClass == NodeClass.Variable && r.NodeId.IsLocal).Select(r => r.NodeId.NodeId)
            .Distinct().ToList();
        var types = await ReadTypesAsync(session, variables, cancellationToken).ConfigureAwait(false);

        var found = new List<DiscoveredObject>(objects.Count);
        for (int i = 0; i < objects.Count; i++)
        {
            var o = objects[i];
            var keys = new Dictionary<string, OpcUaVariable>(StringComparer.Ordinal);
            var methods = new Dictionary<string, NodeId>(StringComparer.Ordinal);
            foreach (var child in children[i])
            {
                var name = child.BrowseName.Name;
                if (string.IsNullOrEmpty(name) || !child.NodeId.IsLocal) continue;
                if (child.NodeClass == NodeClass.Method) methods.TryAdd(name, child.NodeId.NodeId);
                else if (types.TryGetValue(child.NodeId.NodeId, out var t))
                    keys.TryAdd(name, new OpcUaVariable(name, child.NodeId.NodeId, t.Type, t.Scalar, t.DataTypeId));
            }
            var id = o.NodeId.NodeId.ToString();
            var browseName = o.BrowseName.Name ?? id;
            found.Add(new DiscoveredObject(o.NodeId.NodeId, browseName, o.DisplayName.Text ?? browseName, keys, methods));
        }
        return found;
    }

    /// <summary>DataType and ValueRank of each variable, in batches; a type this client does not know travels as a Variant.</summary>
    private static async Task<Dictionary<NodeId, (BuiltInType Type, bool Scalar, NodeId DataTypeId)>> ReadTypesAsync(IOpcUaSession session,
        List<NodeId> variables, CancellationToken cancellationToken)
    {
        var types = new Dictionary<NodeId, (BuiltInType, bool, NodeId)>();
        for (int at = 0; at < variables.Count; at += ReadBatch)
        {
            var batch = variables.Skip(at).Take(ReadBatch).ToList();
            var reads = batch.SelectMany(v => new[] { new ReadValueId(v, AttributeIds.DataType), new ReadValueId(v, AttributeIds.ValueRank) }).ToList();
            var values = await session.ReadAsync(reads, 0, TimestampsToReturn.Neither, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < batch.Count; i++)
            {
                var dataType = values[2 * i].Value.Value as NodeId ?? NodeId.Null;
                bool scalar = values[2 * i + 1].Value.Value is not int rank || rank == -1;
                var type = DataTypes.TryGetBuiltInType(dataType, out var known) ? known : BuiltInType.Variant;
                types[batch[i]] = (type, scalar && type != BuiltInType.Variant, dataType);
            }
        }
        return types;
    }
}
