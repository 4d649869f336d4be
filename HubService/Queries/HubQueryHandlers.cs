using MqttIoT.Hub.Filtering;
using MqttIoT.Hub.Index;
using MqttIoT.Protocol.Requests;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub.Queries;

/// <summary>The six hub queries of the seed, each a few lines over <see cref="QueryEngine"/>.</summary>
internal static class HubQueryHandlers
{
    /// <summary>A frozen table with every hub query registered.</summary>
    public static HandlerTable<HubQueryContext> CreateDefault() => new HandlerTable<HubQueryContext>()
        .Map(HubQueryType.ListStations, Sync(c => List(c, devices: false)))
        .Map(HubQueryType.ListDevices, Sync(c => List(c, devices: true)))
        .Map(HubQueryType.GetStation, Sync(GetStation))
        .Map(HubQueryType.GetDevice, Sync(GetDevice))
        .Map(HubQueryType.FindStations, Sync(c => Find(c, devices: false)))
        .Map(HubQueryType.FindDevices, Sync(c => Find(c, devices: true)))
        .Freeze();

    /// <summary>A query answered from memory: it runs at once on the pipeline's worker and returns its JSON.</summary>
    private static RequestHandler<HubQueryContext> Sync(Func<HubQueryContext, RawJson> query) =>
        (c, _) => Task.FromResult(HandlerResult.Of(query(c), HubJson.Default.RawJson));

    private static RawJson List(HubQueryContext c, bool devices)
    {
        var limit = c.Limit(c.Options.DefaultListLimit, c.Options.MaxListLimit);
        var station = devices ? c.Body.Station : null;
        var hash = PageToken.Hash(WireName<HubQueryType>.Of(c.Type), station);
        return c.Index.Read(index =>
        {
            var (keys, next) = QueryEngine.List(index, devices, station, c.Body.After, limit, hash);
            return new RawJson(RecordWriter.KeyPage(keys, devices, next));
        });
    }

    private static RawJson GetStation(HubQueryContext c)
    {
        var id = c.RequireStation();
        return c.Index.Read(index => index.Stations.TryGet(new RecordKey(id, null), out var record)
            ? new RawJson(RecordWriter.Record(record, index))
            : throw new IoTException(ErrorCode.UnknownStation, $"the hub has no record of station '{id}'"));
    }

    /// <summary>A device by id, and by station when given; by id alone it must be held by one station only.</summary>
    private static RawJson GetDevice(HubQueryContext c)
    {
        var id = c.RequireDevice();
        var station = string.IsNullOrEmpty(c.Body.Station) ? null : c.Body.Station;
        return c.Index.Read(index =>
        {
            if (station is not null)
                return index.Devices.TryGet(new RecordKey(id, station), out var held)
                    ? new RawJson(RecordWriter.Record(held, index))
                    : throw new IoTException(ErrorCode.UnknownDevice, $"the hub has no record of device '{id}' on station '{station}'");
            var holders = index.Devices.WithId(id).ToList();
            return holders.Count switch
            {
                0 => throw new IoTException(ErrorCode.UnknownDevice, $"the hub has no record of device '{id}'"),
                1 => new RawJson(RecordWriter.Record(holders[0], index)),
                _ => throw HubQueryContext.BadRequest($"device id '{id}' is held by {holders.Count} stations " +
                    $"({string.Join(", ", holders.Select(h => $"'{h.Station}'"))}); name one with 'station'"),
            };
        });
    }

    private static RawJson Find(HubQueryContext c, bool devices)
    {
        var limit = c.Limit(c.Options.DefaultFindLimit, c.Options.MaxFindLimit);
        var filterText = c.Body.Filter is { } f ? f.GetRawText() : null;
        var hash = PageToken.Hash(WireName<HubQueryType>.Of(c.Type), filterText, c.Body.Sort);
        // Compiled outside the lock: a bad filter costs no reader time.
        var filter = FilterParser.Parse(c.Body.Filter, devices, c.Index.Paths);
        var sort = SortSpec.Parse(c.Body.Sort, devices, c.Index.Paths);
        QueryEngine.PrepareIndexes(c.Index, devices, filter);
        return c.Index.Read(index =>
        {
            var (items, next) = QueryEngine.Find(index, devices, filter, sort, c.Body.After, limit, hash);
            return new RawJson(RecordWriter.Page(items, next, index));
        });
    }
}
