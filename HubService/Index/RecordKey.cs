namespace MqttIoT.Hub.Index;

/// <summary>
/// What identifies a record: a station by its id (<see cref="Station"/> null), a device by its id and the station that
/// holds it, since a device id is unique only within its station (topics.md, "Topic tree"). Ordered by id, then station
/// (ordinal, a station record's null first): the id order of LIST and FIND, with a total order for paging.
/// </summary>
internal readonly record struct RecordKey(string Id, string? Station) : IComparable<RecordKey>
{
    public static readonly IComparer<RecordKey> Order = Comparer<RecordKey>.Default;

    public int CompareTo(RecordKey other)
    {
        var byId = string.CompareOrdinal(Id, other.Id);
        return byId != 0 ? byId : string.CompareOrdinal(Station, other.Station);
    }
}
