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

    /// <summary>
    /// Finds the device objects (by depth, or by type wherever they are), then their keys: variables, and those of
    /// object components down to KeyDepth, named by browse path; methods of the device itself.
    /// </summary>
    private async Task<List<DiscoveredObject>> BrowseAsync(IOpcUaSession session, CancellationToken cancellationToken)
    {
        var types = _options.DeviceTypes.Count == 0 ? null
            : await SubtypesAsync(session, _options.DeviceTypes.Select(NodeId.Parse).ToList(), cancellationToken).ConfigureAwait(false);
        var devices = new List<ReferenceDescription>();
        var visited = new HashSet<NodeId> { _root };
        List<NodeId> level = [_root];
        for (int depth = 1; depth <= _options.SearchDepth && level.Count > 0; depth++)
        {
            var children = await session.BrowseAllAsync(level.Select(n => new BrowseDescription(n, NodeClassMask: NodeClass.Object)).ToList(),
                _options.MaxReferencesPerNode, cancellationToken).ConfigureAwait(false);
            var next = new List<NodeId>();
            foreach (var child in children.SelectMany(c => c))
            {
                if (!child.NodeId.IsLocal || !visited.Add(child.NodeId.NodeId)) continue;
                bool isDevice = types is null ? depth == _options.SearchDepth : child.TypeDefinition.IsLocal && types.Contains(child.TypeDefinition.NodeId);
                // A device is not searched for more devices inside it: its components are its keys.
                if (isDevice) devices.Add(child);
                else next.Add(child.NodeId.NodeId);
            }
            level = next;
        }
        if (devices.Count == 0) return [];

        var keys = devices.Select(_ => new List<(string Path, NodeId Node)>()).ToList();
        var methods = devices.Select(_ => new Dictionary<string, NodeId>(StringComparer.Ordinal)).ToList();
        var pending = devices.Select((d, i) => (Device: i, Node: d.NodeId.NodeId, Prefix: "")).ToList();
        for (int depth = 1; depth <= _options.KeyDepth && pending.Count > 0; depth++)
        {
            var mask = NodeClass.Variable | (depth == 1 ? NodeClass.Method : 0) | (depth < _options.KeyDepth ? NodeClass.Object : 0);
            var children = await session.BrowseAllAsync(pending.Select(p => new BrowseDescription(p.Node, NodeClassMask: mask)).ToList(),
                _options.MaxReferencesPerNode, cancellationToken).ConfigureAwait(false);
            var next = new List<(int, NodeId, string)>();
            for (int i = 0; i < pending.Count; i++)
            {
                var (device, _, prefix) = pending[i];
                foreach (var child in children[i])
                {
                    var name = child.BrowseName.Name;
                    if (string.IsNullOrEmpty(name) || !child.NodeId.IsLocal) continue;
                    switch (child.NodeClass)
                    {
                        case NodeClass.Method: methods[device].TryAdd(name, child.NodeId.NodeId); break;
                        case NodeClass.Variable: keys[device].Add((prefix + name, child.NodeId.NodeId)); break;
                        case NodeClass.Object: next.Add((device, child.NodeId.NodeId, prefix + name + "/")); break;
                    }
                }
            }
            pending = next;
        }

        var variables = keys.SelectMany(k => k).Select(k => k.Node).Distinct().ToList();
        var typesOf = await ReadTypesAsync(session, variables, cancellationToken).ConfigureAwait(false);
        var found = new List<DiscoveredObject>(devices.Count);
        for (int i = 0; i < devices.Count; i++)
        {
            var o = devices[i];
            var byPath = new Dictionary<string, OpcUaVariable>(StringComparer.Ordinal);
            foreach (var (path, node) in keys[i])
                if (typesOf.TryGetValue(node, out var t)) byPath.TryAdd(path, new OpcUaVariable(path, node, t.Type, t.Scalar, t.DataTypeId));
            var id = o.NodeId.NodeId.ToString();
            var browseName = o.BrowseName.Name ?? id;
            found.Add(new DiscoveredObject(o.NodeId.NodeId, browseName, o.DisplayName.Text ?? browseName, byPath, methods[i]));
        }
        return found;
    }

    /// <summary>The types and all their subtypes (HasSubtype, followed down).</summary>
    private async Task<HashSet<NodeId>> SubtypesAsync(IOpcUaSession session, List<NodeId> types, CancellationToken cancellationToken)
    {
        var all = new HashSet<NodeId>(types);
        var level = types;
        while (level.Count > 0)
        {
            var children = await session.BrowseAllAsync(level.Select(t => new BrowseDescription(t, WellKnownNodes.HasSubtype, NodeClassMask: NodeClass.ObjectType)).ToList(),
                _options.MaxReferencesPerNode, cancellationToken).ConfigureAwait(false);
            level = [.. children.SelectMany(c => c).Where(r => r.NodeId.IsLocal && all.Add(r.NodeId.NodeId)).Select(r => r.NodeId.NodeId)];
        }
        return all;
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
