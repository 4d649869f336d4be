namespace MqttIoT.Hub.Index;

/// <summary>
/// What a batch changed, coalesced by record: the latest version of each changed record, or null for a removed one.
/// Ten updates of one device in a batch become one write.
/// </summary>
internal sealed class IndexChanges
{
    private readonly Dictionary<(bool IsDevice, RecordKey Key), (IndexRecord? Record, bool Stored)> _changes = [];

    public int Count => _changes.Count;

    /// <summary>Each changed record (null: removed), and whether the file may already hold it (else it is inserted, not upserted).</summary>
    public IEnumerable<KeyValuePair<(bool IsDevice, RecordKey Key), (IndexRecord? Record, bool Stored)>> All => _changes;

    /// <summary>A changed record; <paramref name="isNew"/> when the index did not hold it before this change.</summary>
    public void Upsert(IndexRecord record, bool isNew = false)
    {
        var key = (record.IsDevice, record.Key);
        // The first change of the batch decides: a record new to the index is not in the file either.
        var stored = _changes.TryGetValue(key, out var earlier) ? earlier.Stored : !isNew;
        _changes[key] = (record, stored);
    }

    public void Remove(bool isDevice, RecordKey key) => _changes[(isDevice, key)] = (null, true);

    public void Clear() => _changes.Clear();
}
