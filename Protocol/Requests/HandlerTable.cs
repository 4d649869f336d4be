using System.Collections.Frozen;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Protocol.Requests;

/// <summary>One request, query or hub query type's handler.</summary>
/// <typeparam name="TContext">What the service hands its handlers (the gateway's station and device, the hub's index).</typeparam>
public delegate Task<HandlerResult> RequestHandler<in TContext>(TContext context, CancellationToken cancellationToken);

/// <summary>
/// Requests and queries reach their handler through this table, keyed by scope, kind and the type's wire name:
/// a new request type is one registration, not a new branch in a switch. The gateway and the hub each fill one.
/// </summary>
public sealed class HandlerTable<TContext>
{
    private readonly Dictionary<(TopicScope, TopicKind, string), RequestHandler<TContext>> _building = [];
    private FrozenDictionary<(TopicScope, TopicKind, string), RequestHandler<TContext>>? _frozen;

    /// <summary>Registers a station request handler.</summary>
    public HandlerTable<TContext> Map(StationRequestType type, RequestHandler<TContext> handler) =>
        Map(TopicScope.Station, TopicKind.Request, WireName<StationRequestType>.Of(type), handler);

    /// <summary>Registers a station query handler.</summary>
    public HandlerTable<TContext> Map(StationQueryType type, RequestHandler<TContext> handler) =>
        Map(TopicScope.Station, TopicKind.Query, WireName<StationQueryType>.Of(type), handler);

    /// <summary>Registers a device request handler.</summary>
    public HandlerTable<TContext> Map(DeviceRequestType type, RequestHandler<TContext> handler) =>
        Map(TopicScope.Device, TopicKind.Request, WireName<DeviceRequestType>.Of(type), handler);

    /// <summary>Registers a hub query handler.</summary>
    public HandlerTable<TContext> Map(HubQueryType type, RequestHandler<TContext> handler) =>
        Map(TopicScope.Hub, TopicKind.Query, WireName<HubQueryType>.Of(type), handler);

    /// <summary>Registers a handler under a scope, kind and wire name.</summary>
    public HandlerTable<TContext> Map(TopicScope scope, TopicKind kind, string name, RequestHandler<TContext> handler)
    {
        if (_frozen is not null) throw new InvalidOperationException("the table is frozen");
        if (!_building.TryAdd((scope, kind, name), handler)) throw new InvalidOperationException($"{scope} {kind} {name} is registered twice");
        return this;
    }

    /// <summary>Makes the table read-only and fast to look up.</summary>
    public HandlerTable<TContext> Freeze()
    {
        _frozen = _building.ToFrozenDictionary();
        return this;
    }

    /// <summary>Finds the handler of a parsed request or query topic.</summary>
    public bool TryGet(in ParsedTopic topic, out RequestHandler<TContext> handler)
    {
        handler = null!;
        return topic.Name is not null
            && (_frozen ?? throw new InvalidOperationException("freeze the table first")).TryGetValue((topic.Scope, topic.Kind, topic.Name), out handler!);
    }

    /// <summary>The registered keys, for tests that every type of the contract has a handler.</summary>
    public IEnumerable<(TopicScope Scope, TopicKind Kind, string Name)> Keys => (_frozen ?? _building.ToFrozenDictionary()).Keys;
}
