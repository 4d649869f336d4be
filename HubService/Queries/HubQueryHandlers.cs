using MqttIoT.Hub.Filtering;
using MqttIoT.Sdk;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub.Queries;

/// <summary>The six hub queries of the seed, each a few lines over <see cref="QueryEngine"/>.</summary>
internal static class HubQueryHandlers
{
    public static void Register(HubQueryTable table) => table
        .Map(HubQueryType.ListStations, c => List(c, devices: false))
        .Map(HubQueryType.ListDevices, c => List(c, devices: true))
        .Map(HubQueryType.GetStation, c => Get(c, devices: false, c.RequireStation()))
        .Map(HubQueryType.GetDevice, c => Get(c, devices: true, c.RequireDevice()))
        .Map(HubQueryType.FindStations, c => Find(c, devices: false))
        .Map(HubQueryType.FindDevices, c => Find(c, devices: true));

    private static RawJson List(HubQueryContext c, bool devices)
    {
        var limit = c.Limit(c.Options.DefaultListLimit, c.Options.MaxListLimit);
        var station = devices ? c.Body.Station : null;
        var hash = PageToken.Hash(WireName<HubQueryType>.Of(c.Type), station);
        return c.Index.Read(index =>
        {
            var (ids, next) = QueryEngine.List(index, devices, station, c.Body.After, limit, hash);
            return new RawJson(RecordWriter.IdPage(ids, next));
        });
    }

    private static RawJson Get(HubQueryContext c, bool devices, string id) => c.Index.Read(index =>
        index.Table(devices).TryGet(id, out var record)
            ? new RawJson(RecordWriter.Record(record, index))
            : throw (devices
                ? new IoTException(ErrorCode.UnknownDevice, $"the hub has no record of device '{id}'")
                : new IoTException(ErrorCode.UnknownStation, $"the hub has no record of station '{id}'")));

    private static RawJson Find(HubQueryContext c, bool devices)
    {
        var limit = c.Limit(c.Options.DefaultFindLimit, c.Options.MaxFindLimit);
        var filterText = c.Body.Filter is { } f ? f.GetRawText() : null;
        var hash = PageToken.Hash(WireName<HubQueryType>.Of(c.Type), filterText, c.Body.Sort);
        // Compiled outside the lock: a bad filter costs no reader time.
        var filter = FilterParser.Parse(c.Body.Filter, devices, c.Index.Paths);
        var sort = SortSpec.Parse(c.Body.Sort, devices, c.Index.Paths);
        return c.Index.Read(index =>
        {
            var (items, next) = QueryEngine.Find(index, devices, filter, sort, c.Body.After, limit, hash);
            return new RawJson(RecordWriter.Page(items, next, index));
        });
    }
}
