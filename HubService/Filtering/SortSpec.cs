using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Filtering;

/// <summary>A FIND sort: a field path, <c>-</c> first for descending; ties (and the default) go by id, then station.</summary>
internal sealed record SortSpec(FieldRef Field, bool Descending)
{
    public static SortSpec Parse(string? sort, bool devices, PathTable paths)
    {
        if (string.IsNullOrWhiteSpace(sort)) return new SortSpec(FieldRef.Resolve("id", devices, paths), false);
        var descending = sort.StartsWith('-');
        var path = descending ? sort[1..] : sort;
        try { return new SortSpec(FieldRef.Resolve(path, devices, paths), descending); }
        catch (FilterException ex) { throw new FilterException($"sort: {ex.Message}"); }
    }

    /// <summary>Record order under this sort: by sort key (reversed when descending), then by record key (id, station).</summary>
    public int Compare(in FieldValue keyA, RecordKey a, in FieldValue keyB, RecordKey b)
    {
        var c = FieldValue.Compare(keyA, keyB);
        if (Descending) c = -c;
        return c != 0 ? c : a.CompareTo(b);
    }
}
