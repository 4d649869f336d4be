using System.Text.Json.Nodes;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>Discovery: one browse of the root, one of all objects found, one Read of every variable's type.</summary>
public sealed partial class OpcUaStation
{
    private const int ReadBatch = 1000;

    private async Task<List<OpcUaDevice>> BrowseDevicesAsync(IOpcUaSession session, CancellationToken cancellationToken)
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

        var found = new List<OpcUaDevice>();
        var added = new List<OpcUaDevice>();
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
            var id = _options.DevicePrefix + o.NodeId.NodeId;
            OpcUaDevice device;
            lock (_lock)
            {
                if (_devices.TryGetValue(id, out var known))
                {
                    known.Update(keys, methods);
                    device = known;
                }
                else
                {
                    device = new OpcUaDevice(this, id, o.NodeId.NodeId, o.BrowseName.Name ?? id, o.DisplayName.Text ?? o.BrowseName.Name ?? id, keys, methods);
                    _devices[id] = device;
                    added.Add(device);
                }
            }
            found.Add(device);
        }
        foreach (var d in added)
            _sink?.OnStationEvent(StationEventType.DeviceDiscovered, d.Id,
                new JsonObject { ["nodeId"] = d.NodeId.ToString(), ["browseName"] = d.BrowseName, ["keys"] = d.GetKeys().Count });
        foreach (var d in found.Except(added)) _sink?.OnDeviceEvent(d.Id, DeviceEventType.PropsChanged);
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
