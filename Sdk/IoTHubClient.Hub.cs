using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Sdk;

// The hub queries (topics.md, "Hub queries"), answered by whichever HubService replica the broker picks.
public sealed partial class IoTHubClient
{
    /// <summary>Ids of the stations the hub knows, one page in id order.</summary>
    /// <param name="limit">Page size (hub default 1000).</param>
    /// <param name="after">The <see cref="HubPage{T}.Next"/> token of the previous page.</param>
    /// <param name="timeout">How long to wait for the reply (each page's, for an enumeration); the client's DefaultTimeout when null.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <exception cref="IoTException"><see cref="ErrorCode.Unavailable"/> when no hub runs, or the hub's error.</exception>
    public async Task<HubPage<string>> ListStationsAsync(int? limit = null, string? after = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Parse(await HubQueryAsync(HubQueryType.ListStations, new HubQueryBody { Limit = limit, After = after }, timeout, cancellationToken).ConfigureAwait(false),
            ContractJson.Default.HubPageString);

    /// <summary>The devices the hub knows (of one station when given), each with its station, one page in id order (then station).</summary>
    /// <param name="station">Only devices this station holds.</param>
    /// <param name="limit">Page size (hub default 1000).</param>
    /// <param name="after">The <see cref="HubPage{T}.Next"/> token of the previous page.</param>
    /// <param name="timeout">How long to wait for the reply (each page's, for an enumeration); the client's DefaultTimeout when null.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <exception cref="IoTException"><see cref="ErrorCode.Unavailable"/> when no hub runs, or the hub's error.</exception>
    public async Task<HubPage<DeviceAddress>> ListDevicesAsync(string? station = null, int? limit = null, string? after = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Parse(await HubQueryAsync(HubQueryType.ListDevices, new HubQueryBody { Station = station, Limit = limit, After = after }, timeout, cancellationToken)
            .ConfigureAwait(false), ContractJson.Default.HubPageDeviceAddress);

    /// <summary>Every station id the hub knows, fetching pages as the enumeration goes.</summary>
    public async IAsyncEnumerable<string> ListAllStationsAsync(int pageSize = 1000, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        do
        {
            var page = await ListStationsAsync(pageSize, after, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var id in page.Items) yield return id;
            after = page.Next;
        } while (after is not null);
    }

    /// <summary>Every device the hub knows (of one station when given), fetching pages as the enumeration goes.</summary>
    public async IAsyncEnumerable<DeviceAddress> ListAllDevicesAsync(string? station = null, int pageSize = 1000,
        TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        do
        {
            var page = await ListDevicesAsync(station, pageSize, after, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var id in page.Items) yield return id;
            after = page.Next;
        } while (after is not null);
    }

    /// <summary>The hub's record of a station.</summary>
    /// <exception cref="IoTException"><see cref="ErrorCode.UnknownStation"/> when the hub has no record of it.</exception>
    public async Task<StationRecord> GetStationAsync(string station, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(station);
        return Parse(await HubQueryAsync(HubQueryType.GetStation, new HubQueryBody { Station = station }, timeout, cancellationToken).ConfigureAwait(false),
            ContractJson.Default.StationRecord);
    }

    /// <summary>The hub's record of a device: its props, its station, online or stale, first and last seen, last notified values.</summary>
    /// <param name="device">The device id.</param>
    /// <param name="station">The station holding it; without it the id must be held by one station only.</param>
    /// <param name="timeout">How long to wait for the reply (each page's, for an enumeration); the client's DefaultTimeout when null.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <exception cref="IoTException"><see cref="ErrorCode.UnknownDevice"/> when the hub has no record of it;
    /// <see cref="ErrorCode.BadRequest"/>, naming the stations, when several hold the id and no station is given.</exception>
    public async Task<DeviceRecord> GetDeviceAsync(string device, string? station = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        return Parse(await HubQueryAsync(HubQueryType.GetDevice, new HubQueryBody { Device = device, Station = station }, timeout, cancellationToken)
            .ConfigureAwait(false), ContractJson.Default.DeviceRecord);
    }

    /// <summary>Finds a device by its id alone through the hub and returns it, addressed at the station that holds it.</summary>
    /// <exception cref="IoTException"><see cref="ErrorCode.UnknownDevice"/> when the hub has no record of it;
    /// <see cref="ErrorCode.BadRequest"/>, naming the stations, when several hold the id (then use <see cref="GetDevice(string, string)"/>);
    /// <see cref="ErrorCode.Unavailable"/> when no hub runs.</exception>
    public async Task<RemoteDevice> LocateDeviceAsync(string device, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var record = await GetDeviceAsync(device, null, timeout, cancellationToken).ConfigureAwait(false);
        return GetDevice(record.Station ?? throw new IoTException(ErrorCode.Internal, $"the hub's record of device '{device}' names no station"), record.Id);
    }

    /// <summary>One page of the stations whose record matches <paramref name="filter"/>.</summary>
    /// <param name="filter">The conditions; null matches every station.</param>
    /// <param name="sort">A field path, <c>-</c> first for descending; default id.</param>
    /// <param name="limit">Page size (hub default 100).</param>
    /// <param name="after">The <see cref="HubPage{T}.Next"/> token of the previous page of the same query.</param>
    /// <param name="timeout">How long to wait for the reply (each page's, for an enumeration); the client's DefaultTimeout when null.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <exception cref="IoTException"><see cref="ErrorCode.BadRequest"/> with what is wrong with the filter or sort.</exception>
    public async Task<HubPage<StationRecord>> FindStationsAsync(HubFilter? filter = null, string? sort = null, int? limit = null, string? after = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Parse(await HubQueryAsync(HubQueryType.FindStations, FindBody(filter, sort, limit, after), timeout, cancellationToken).ConfigureAwait(false),
            ContractJson.Default.HubPageStationRecord);

    /// <summary>One page of the devices whose record matches <paramref name="filter"/>.</summary>
    /// <param name="filter">The conditions; null matches every device.</param>
    /// <param name="sort">A field path, <c>-</c> first for descending; default id.</param>
    /// <param name="limit">Page size (hub default 100).</param>
    /// <param name="after">The <see cref="HubPage{T}.Next"/> token of the previous page of the same query.</param>
    /// <param name="timeout">How long to wait for the reply (each page's, for an enumeration); the client's DefaultTimeout when null.</param>
    /// <param name="cancellationToken">Cancels the wait for the reply.</param>
    /// <exception cref="IoTException"><see cref="ErrorCode.BadRequest"/> with what is wrong with the filter or sort.</exception>
    public async Task<HubPage<DeviceRecord>> FindDevicesAsync(HubFilter? filter = null, string? sort = null, int? limit = null, string? after = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Parse(await HubQueryAsync(HubQueryType.FindDevices, FindBody(filter, sort, limit, after), timeout, cancellationToken).ConfigureAwait(false),
            ContractJson.Default.HubPageDeviceRecord);

    /// <summary>Every station whose record matches, fetching pages of <paramref name="pageSize"/> as the enumeration goes.</summary>
    public async IAsyncEnumerable<StationRecord> FindAllStationsAsync(HubFilter? filter = null, string? sort = null, int pageSize = 100,
        TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        do
        {
            var page = await FindStationsAsync(filter, sort, pageSize, after, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var record in page.Items) yield return record;
            after = page.Next;
        } while (after is not null);
    }

    /// <summary>Every device whose record matches, fetching pages of <paramref name="pageSize"/> as the enumeration goes.</summary>
    public async IAsyncEnumerable<DeviceRecord> FindAllDevicesAsync(HubFilter? filter = null, string? sort = null, int pageSize = 100,
        TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = null;
        do
        {
            var page = await FindDevicesAsync(filter, sort, pageSize, after, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var record in page.Items) yield return record;
            after = page.Next;
        } while (after is not null);
    }

    /// <summary>Sends any hub query and returns the reply's data.</summary>
    /// <exception cref="IoTException">The hub answered with an error, no hub runs (<see cref="ErrorCode.Unavailable"/>), or the deadline passed.</exception>
    public Task<JsonElement> HubQueryAsync(HubQueryType type, HubQueryBody? body = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        RequestAsync(Topics.HubQuery(type), body is null ? [] : JsonSerializer.SerializeToUtf8Bytes(body, ContractJson.Default.HubQueryBody),
            ErrorCode.Unavailable, "the hub", timeout, cancellationToken);

    private static HubQueryBody FindBody(HubFilter? filter, string? sort, int? limit, string? after) =>
        new() { Filter = filter?.ToElement(), Sort = sort, Limit = limit, After = after };

    private static T Parse<T>(JsonElement data, JsonTypeInfo<T> type)
    {
        try { return data.Deserialize(type) ?? throw new IoTException(ErrorCode.Internal, "the hub replied without data"); }
        catch (JsonException ex) { throw new IoTException(ErrorCode.Internal, $"the hub's reply is not a {typeof(T).Name}: {ex.Message}", ex); }
    }
}
