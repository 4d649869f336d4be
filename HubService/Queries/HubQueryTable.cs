using System.Collections.Frozen;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub.Queries;

/// <summary>Hub queries reach their handler through this table, keyed by the type's wire name: a new query is one registration.</summary>
internal sealed class HubQueryTable
{
    private readonly Dictionary<string, (HubQueryType Type, HubQueryHandler Handler)> _building = new(StringComparer.Ordinal);
    private FrozenDictionary<string, (HubQueryType Type, HubQueryHandler Handler)>? _frozen;

    public static HubQueryTable CreateDefault()
    {
        var table = new HubQueryTable();
        HubQueryHandlers.Register(table);
        return table.Freeze();
    }

    public HubQueryTable Map(HubQueryType type, HubQueryHandler handler)
    {
        if (_frozen is not null) throw new InvalidOperationException("the table is frozen");
        if (!_building.TryAdd(WireName<HubQueryType>.Of(type), (type, handler))) throw new InvalidOperationException($"{type} is registered twice");
        return this;
    }

    public HubQueryTable Freeze()
    {
        _frozen = _building.ToFrozenDictionary(StringComparer.Ordinal);
        return this;
    }

    public bool TryGet(string? name, out HubQueryType type, out HubQueryHandler handler)
    {
        (type, handler) = (default, null!);
        if (name is null || !(_frozen ?? throw new InvalidOperationException("freeze the table first")).TryGetValue(name, out var entry)) return false;
        (type, handler) = entry;
        return true;
    }

    /// <summary>The registered names, for the test that every query type of the contract has a handler.</summary>
    public IEnumerable<string> Names => (_frozen ?? _building.ToFrozenDictionary()).Keys;
}
