using System.Collections.Frozen;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Gateway.Requests;

/// <summary>
/// Requests and queries reach their handler through this table, keyed by scope, kind and the type's wire name:
/// a new request type is one registration, not a new branch in a switch.
/// </summary>
public sealed class HandlerTable
{
    private readonly Dictionary<(TopicScope, TopicKind, string), RequestHandler> _building = [];
    private FrozenDictionary<(TopicScope, TopicKind, string), RequestHandler>? _frozen;

    /// <summary>The table with every station request, station query and device request of the contract.</summary>
    public static HandlerTable CreateDefault()
    {
        var table = new HandlerTable();
        StationRequestHandlers.Register(table);
        StationQueryHandlers.Register(table);
        DeviceRequestHandlers.Register(table);
        return table.Freeze();
    }

    /// <summary>Registers a station request handler.</summary>
    public HandlerTable Map(StationRequestType type, RequestHandler handler) =>
        Add(TopicScope.Station, TopicKind.Request, WireName<StationRequestType>.Of(type), handler);

    /// <summary>Registers a station query handler.</summary>
    public HandlerTable Map(StationQueryType type, RequestHandler handler) =>
        Add(TopicScope.Station, TopicKind.Query, WireName<StationQueryType>.Of(type), handler);

    /// <summary>Registers a device request handler.</summary>
    public HandlerTable Map(DeviceRequestType type, RequestHandler handler) =>
        Add(TopicScope.Device, TopicKind.Request, WireName<DeviceRequestType>.Of(type), handler);

    /// <summary>Makes the table read-only and fast to look up.</summary>
    public HandlerTable Freeze()
    {
        _frozen = _building.ToFrozenDictionary();
        return this;
    }

    /// <summary>Finds the handler of a parsed request or query topic.</summary>
    public bool TryGet(in ParsedTopic topic, out RequestHandler handler)
    {
        handler = null!;
        return topic.Name is not null
            && (_frozen ?? throw new InvalidOperationException("freeze the table first")).TryGetValue((topic.Scope, topic.Kind, topic.Name), out handler!);
    }

    /// <summary>The registered keys, for tests that every type of the contract has a handler.</summary>
    public IEnumerable<(TopicScope Scope, TopicKind Kind, string Name)> Keys => (_frozen ?? _building.ToFrozenDictionary()).Keys;

    private HandlerTable Add(TopicScope scope, TopicKind kind, string name, RequestHandler handler)
    {
        if (_frozen is not null) throw new InvalidOperationException("the table is frozen");
        if (!_building.TryAdd((scope, kind, name), handler)) throw new InvalidOperationException($"{scope} {kind} {name} is registered twice");
        return this;
    }
}
