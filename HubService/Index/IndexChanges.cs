namespace MqttIoT.Hub.Index;

/// <summary>
/// What a batch changed, coalesced by record: the latest version of each changed record, or null for a removed one.
/// Ten updates of one device in a batch become one write.
/// </summary>
internal sealed class IndexChanges
{
    private readonly Dictionary<(bool IsDevice, string Id), IndexRecord?> _changes = [];

    public int Count => _changes.Count;

    public IEnumerable<KeyValuePair<(bool IsDevice, string Id), IndexRecord?>> All => _changes;

    public void Upsert(IndexRecord record) => _changes[(record.IsDevice, record.Id)] = record;

    public void Remove(bool isDevice, string id) => _changes[(isDevice, id)] = null;

    public void Clear() => _changes.Clear();
}
