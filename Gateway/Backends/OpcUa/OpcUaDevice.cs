using System.Text.Json.Nodes;
using MqttIoT.OpcUa;
using MqttIoT.OpcUa.Binary;
using MqttIoT.OpcUa.Services;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Backends.OpcUa;

/// <summary>
/// An object node of the server. Its keys are its variables, by browse name; values travel as the bytes of
/// <see cref="OpcUaValueCodec"/>, and the OPC UA type of each key is in the props (and in every NOTIFIED event).
/// SET_TIME and RESET call the object's <c>SetTime</c> and <c>Reset</c> methods when it has them.
/// </summary>
public sealed class OpcUaDevice : IDeviceBackend
{
    private readonly OpcUaStation _station;
    private readonly Lock _lock = new();
    private Dictionary<string, OpcUaVariable> _variables;
    private Dictionary<string, NodeId> _methods;

    internal OpcUaDevice(OpcUaStation station, string id, NodeId nodeId, string browseName, string displayName,
        Dictionary<string, OpcUaVariable> variables, Dictionary<string, NodeId> methods)
    {
        _station = station;
        Id = id;
        NodeId = nodeId;
        BrowseName = browseName;
        DisplayName = displayName;
        _variables = variables;
        _methods = methods;
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <summary>The object node.</summary>
    public NodeId NodeId { get; }

    /// <summary>The object's browse name.</summary>
    public string BrowseName { get; }

    /// <summary>The object's display name.</summary>
    public string DisplayName { get; }

    // The device's link state, under _lock: connected; or not, but to be connected again (with its watched keys)
    // when the server link that broke comes back.
    private bool _connected;
    private bool _restoreOnReconnect;
    private readonly HashSet<string> _watched = new(StringComparer.Ordinal);

    internal bool Connected { get { lock (_lock) return _connected; } }

    /// <summary>Connected now; false when it already was.</summary>
    internal bool MarkConnected()
    {
        lock (_lock)
        {
            if (_connected) return false;
            _connected = true;
            return true;
        }
    }

    /// <summary>Not connected and nothing to restore: true when it was connected or waiting to be restored.</summary>
    internal bool MarkDisconnected()
    {
        lock (_lock)
        {
            bool was = _connected || _restoreOnReconnect;
            _connected = false;
            _restoreOnReconnect = false;
            _watched.Clear();
            return was;
        }
    }

    /// <summary>The server link broke: a connected device waits to be restored. True when it was connected.</summary>
    internal bool MarkLinkLost()
    {
        lock (_lock)
        {
            if (!_connected) return false;
            _connected = false;
            _restoreOnReconnect = true;
            return true;
        }
    }

    /// <summary>The server link is back: a device waiting to be restored is connected again; its watched keys, or null.</summary>
    internal IReadOnlyList<string>? MarkRestored()
    {
        lock (_lock)
        {
            if (!_restoreOnReconnect) return null;
            _restoreOnReconnect = false;
            _connected = true;
            return [.. _watched.Order(StringComparer.Ordinal)];
        }
    }

    internal void MarkWatched(string key)
    {
        lock (_lock) _watched.Add(key);
    }

    /// <summary>True when the key was watched.</summary>
    internal bool UnmarkWatched(string key)
    {
        lock (_lock) return _watched.Remove(key);
    }

    internal void Update(Dictionary<string, OpcUaVariable> variables, Dictionary<string, NodeId> methods)
    {
        lock (_lock)
        {
            _variables = variables;
            _methods = methods;
        }
    }

    /// <inheritdoc />
    public DeviceProps GetProps()
    {
        lock (_lock)
        {
            var variables = new JsonObject();
            foreach (var v in _variables.Values)
                variables[v.Key] = new JsonObject { ["nodeId"] = v.NodeId.ToString(), ["dataType"] = v.WireType, ["dataTypeId"] = v.DataTypeId.ToString() };
            return new DeviceProps
            {
                Id = Id,
                Station = _station.Id,
                Name = DisplayName,
                Connected = _connected,
                Keys = [.. _variables.Keys],
                Attributes = new JsonObject
                {
                    ["nodeId"] = NodeId.ToString(),
                    ["browseName"] = BrowseName,
                    ["endpoint"] = _station.Endpoint,
                    ["variables"] = variables,
                    ["methods"] = new JsonArray([.. _methods.Keys.Select(k => (JsonNode)JsonValue.Create(k))]),
                },
            };
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> GetKeys()
    {
        lock (_lock) return [.. _variables.Keys];
    }

    internal OpcUaVariable RequireVariable(string key)
    {
        lock (_lock)
            return _variables.TryGetValue(key, out var v) ? v : throw new IoTException(ErrorCode.UnknownKey, $"device '{Id}' has no key '{key}'");
    }

    internal IReadOnlyList<OpcUaVariable> WatchedVariables()
    {
        lock (_lock) return _watched.Where(_variables.ContainsKey).Select(k => _variables[k]).ToList();
    }

    private NodeId? Method(string name)
    {
        lock (_lock) return _methods.GetValueOrDefault(name);
    }

    /// <inheritdoc />
    public Task DisconnectAsync(CancellationToken cancellationToken) => _station.DisconnectAsync(Id, cancellationToken);

    /// <inheritdoc />
    public async Task<byte[]> ReadValueAsync(string key, CancellationToken cancellationToken)
    {
        var variable = RequireVariable(key);
        var session = _station.RequireSession(this);
        DataValue value;
        try
        {
            value = (await session.ReadAsync([new ReadValueId(variable.NodeId)], 0, TimestampsToReturn.Both, cancellationToken).ConfigureAwait(false))[0];
        }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"reading '{key}' of '{Id}'"); }
        if (value.StatusCode.IsBad)
            throw OpcUaErrors.ToIoT(new OpcUaException(value.StatusCode), $"reading '{key}' ({variable.NodeId}) of '{Id}'", ErrorCode.UnknownKey);
        return variable.Encode(value.Value, out _);
    }

    /// <inheritdoc />
    public async Task<int> WriteValueAsync(string key, ReadOnlyMemory<byte> value, bool withResponse, CancellationToken cancellationToken)
    {
        var variable = RequireVariable(key);
        var session = _station.RequireSession(this);
        Variant typed;
        try { typed = OpcUaValueCodec.Decode(value.Span, variable.Type, variable.Scalar); }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"'{key}' of '{Id}' takes a {variable.WireType}"); }
        StatusCode status;
        try
        {
            status = (await session.WriteAsync([new WriteValue(variable.NodeId, DataValue.Of(typed))], cancellationToken).ConfigureAwait(false))[0];
        }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"writing '{key}' of '{Id}'"); }
        if (status.IsBad) throw OpcUaErrors.ToIoT(new OpcUaException(status), $"writing '{key}' ({variable.NodeId}) of '{Id}'", ErrorCode.UnknownKey);
        return value.Length;
    }

    /// <inheritdoc />
    public Task EnableNotificationsAsync(string key, CancellationToken cancellationToken) => _station.WatchAsync(this, RequireVariable(key), cancellationToken);

    /// <inheritdoc />
    public Task DisableNotificationsAsync(string key, CancellationToken cancellationToken) => _station.UnwatchAsync(this, RequireVariable(key), cancellationToken);

    /// <summary>Reads the server's CurrentTime and reports its offset from the gateway clock, halfway through the read.</summary>
    public async Task<TimeReply> SyncTimeAsync(CancellationToken cancellationToken)
    {
        var session = _station.RequireSession(this);
        var before = _station.Time.GetUtcNow();
        DataValue now;
        try { now = await session.ReadValueAsync(WellKnownNodes.ServerCurrentTime, cancellationToken).ConfigureAwait(false); }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, "reading the server's CurrentTime"); }
        var after = _station.Time.GetUtcNow();
        if (now.Value.Value is not DateTime serverTime) throw new IoTException(ErrorCode.BackendFailure, "the server's CurrentTime is not a DateTime");
        var midpoint = before + (after - before) / 2;
        var reply = new TimeReply(new DateTimeOffset(serverTime, TimeSpan.Zero), Math.Round((serverTime - midpoint.UtcDateTime).TotalMilliseconds, 3));
        _station.Sink?.OnDeviceEvent(Id, DeviceEventType.TimeSynced, data: new JsonObject { ["deviceTime"] = reply.DeviceTime, ["offsetMs"] = reply.OffsetMs });
        return reply;
    }

    /// <summary>Calls the object's <c>SetTime</c> with the gateway's UTC time; a numeric first output is the offset it had.</summary>
    public async Task<TimeReply> SetTimeAsync(CancellationToken cancellationToken)
    {
        var method = Method("SetTime") ?? throw new IoTException(ErrorCode.Unsupported, $"device '{Id}' has no SetTime method");
        var session = _station.RequireSession(this);
        var now = _station.Time.GetUtcNow();
        IReadOnlyList<Variant> outputs;
        try { outputs = await session.CallMethodAsync(NodeId, method, [new Variant(BuiltInType.DateTime, now.UtcDateTime)], cancellationToken).ConfigureAwait(false); }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"calling SetTime of '{Id}'"); }
        double offset = outputs.Count > 0 && outputs[0].Value is IConvertible c && outputs[0].Type is >= BuiltInType.SByte and <= BuiltInType.Double
            ? c.ToDouble(System.Globalization.CultureInfo.InvariantCulture) : 0;
        var reply = new TimeReply(now, offset);
        _station.Sink?.OnDeviceEvent(Id, DeviceEventType.TimeSet, data: new JsonObject { ["deviceTime"] = reply.DeviceTime, ["offsetMs"] = reply.OffsetMs });
        return reply;
    }

    /// <summary>Calls the object's <c>Reset</c> method.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        var method = Method("Reset") ?? throw new IoTException(ErrorCode.Unsupported, $"device '{Id}' has no Reset method");
        var session = _station.RequireSession(this);
        try { await session.CallMethodAsync(NodeId, method, [], cancellationToken).ConfigureAwait(false); }
        catch (OpcUaException ex) { throw OpcUaErrors.ToIoT(ex, $"calling Reset of '{Id}'"); }
    }
}
