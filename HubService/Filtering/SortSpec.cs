using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Filtering;

/// <summary>A FIND sort: a field path, <c>-</c> first for descending; ties (and the default) go by id.</summary>
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

    /// <summary>Record order under this sort: by key (reversed when descending), then by id.</summary>
    public int Compare(in FieldValue keyA, string idA, in FieldValue keyB, string idB)
    {
        var c = FieldValue.Compare(keyA, keyB);
        if (Descending) c = -c;
        return c != 0 ? c : string.CompareOrdinal(idA, idB);
    }
}
