using System.Globalization;
using LiteDB;
using LiteDB.Engine;
using MqttIoT.Hub.Index;
using MqttIoT.Sdk.Contract;

namespace MqttIoT.Hub.Storage;

/// <summary>
/// The index on disk: one LiteDB file, a <c>devices</c> and a <c>stations</c> collection, one document per record
/// (<c>_id</c>, devices' <c>device</c> and <c>station</c>, <c>availability</c>, <c>online</c>, <c>stale</c>, <c>firstSeen</c>, <c>lastSeen</c>,
/// <c>props</c> as a nested document, <c>notified</c>). A batch of changes is one transaction, so a crash leaves
/// the file at the last committed batch (LiteDB's write-ahead log replays or drops the rest when it opens again);
/// a checkpoint folds the log into the data file once it passes <see cref="HubOptions.CheckpointPages"/>.
/// Only the ingest loop's thread touches it (LiteDB transactions belong to a thread).
/// </summary>
/// <remarks>
/// The file compares strings ordinally: LiteDB's default collation ignores case, which made ids such as the OPC UA
/// node ids <c>ns=2;s=Motor</c> and <c>ns=2;s=motor</c> one <c>_id</c>. A file's collation is fixed when it is
/// created, so a file made with another one is rebuilt once at open (LiteDB copies every document into a new file;
/// first-seen times and notified values are kept, which recreating the file from the broker's replay would lose).
/// A device's <c>_id</c> is its station and id, each escaped as a topic level, joined by <c>/</c> (an escaped id has
/// no bare <c>/</c>, so the pair reads back one way); files of format 0 keyed devices by id alone and are re-keyed at open.
/// </remarks>
/// <remarks>
/// No secondary indexes: queries are answered from <see cref="HubIndex"/>, and the file is read whole only at start;
/// an index nobody reads would only slow every write.
/// </remarks>
internal sealed class HubStore : IDisposable
{
    /// <summary>Ordinal: ids differ when any character differs, as everywhere else in the contract.</summary>
    private static readonly Collation OrdinalCollation = new(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal);

    /// <summary>When the first this many records of a retried batch all fail, the file is the problem, not a record.</summary>
    private const int MaxFailuresBeforeAnyWritten = 10;

    /// <summary>The file's format (LiteDB's user version): 1 keys devices by (station, device).</summary>
    private const int FormatVersion = 1;

    private readonly LiteDatabase _db;
    private readonly ILiteCollection<BsonDocument> _devices;
    private readonly ILiteCollection<BsonDocument> _stations;

    public HubStore(string path, int checkpointPages)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        FilePath = Path.GetFullPath(path);
        _db = Open(FilePath, out var rebuilt);
        RebuiltFrom = rebuilt;
        _db.CheckpointSize = checkpointPages;
        _devices = _db.GetCollection("devices", BsonAutoId.ObjectId);
        _stations = _db.GetCollection("stations", BsonAutoId.ObjectId);
        if (_db.UserVersion < FormatVersion) RekeyDevices();
    }

    public string FilePath { get; }

    /// <summary>The collation the file had when it had to be rebuilt at open; null when it was already ordinal (or new).</summary>
    public string? RebuiltFrom { get; }

    private static LiteDatabase Open(string file, out string? rebuiltFrom)
    {
        rebuiltFrom = null;
        // Naming a collation that differs from an existing file's makes LiteDB refuse to open it: open such a file as it is.
        var db = new LiteDatabase(new ConnectionString
        {
            Filename = file, Connection = ConnectionType.Direct, Collation = File.Exists(file) ? null : OrdinalCollation,
        });
        if (db.Collation.SortOptions == CompareOptions.Ordinal) return db;
        rebuiltFrom = db.Collation.ToString();
        db.Rebuild(new RebuildOptions { Collation = OrdinalCollation });
        // The rebuild keeps the old file beside the new one; the index is derived data and the new file holds all of it.
        var backup = Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file) + "-backup" + Path.GetExtension(file));
        File.Delete(backup);
        return db;
    }

    /// <summary>Format 0 keyed a device by its id alone: key each by (station, device); one without a station is dropped (the replay restores it).</summary>
    private void RekeyDevices()
    {
        _db.BeginTrans();
        foreach (var doc in _devices.FindAll().ToList())
        {
            if (doc.ContainsKey("device")) continue;
            var id = doc["_id"];
            _devices.Delete(id);
            if (!doc.TryGetValue("station", out var station) || !station.IsString || !id.IsString) continue;
            doc["device"] = id.AsString;
            doc["_id"] = DocumentId(new RecordKey(id.AsString, station.AsString));
            _devices.Insert(doc);
        }
        _db.Commit();
        _db.UserVersion = FormatVersion; // a pragma: LiteDB refuses it inside a transaction
    }

    /// <summary>Every record on disk, for the in-memory view at start; a document it cannot read is skipped (the broker's replay restores it).</summary>
    public List<IndexRecord> LoadAll(PathTable paths, Action<string, string> onBadDocument)
    {
        var records = new List<IndexRecord>(_devices.Count() + _stations.Count());
        foreach (var (collection, isDevice) in new[] { (_devices, true), (_stations, false) })
        {
            foreach (var doc in collection.FindAll())
            {
                try { records.Add(FromDocument(doc, isDevice, paths)); }
                catch (Exception ex) when (ex is InvalidCastException or System.Text.Json.JsonException or ArgumentException or KeyNotFoundException)
                {
                    onBadDocument(doc["_id"].ToString(), ex.Message);
                }
            }
        }
        return records;
    }

    /// <summary>
    /// Writes one batch in one transaction. When LiteDB refuses it, the records are written again one per transaction,
    /// so one record the file cannot take (an id over LiteDB's 1023-byte key limit) costs only itself: each that
    /// fails goes to <paramref name="onRecordFailed"/> (its id) and the rest are written. Returns how many failed.
    /// </summary>
    /// <exception cref="LiteException">The first records all fail: the file, not a record, is the problem.</exception>
    public int Commit(IndexChanges changes, Action<string, Exception> onRecordFailed)
    {
        if (changes.Count == 0) return 0;
        try
        {
            Write(changes.All);
            return 0;
        }
        catch (LiteException) { }
        var (failed, written) = (0, 0);
        foreach (var change in changes.All)
        {
            try
            {
                Write([change]);
                written++;
            }
            catch (LiteException ex) when (written > 0 || failed < MaxFailuresBeforeAnyWritten - 1)
            {
                failed++;
                var key = change.Key.Key;
                onRecordFailed(key.Station is null ? key.Id : $"{key.Id}' of station '{key.Station}", ex);
            }
        }
        return failed;
    }

    private void Write(IEnumerable<KeyValuePair<(bool IsDevice, RecordKey Key), (IndexRecord? Record, bool Stored)>> changes)
    {
        _db.BeginTrans();
        try
        {
            foreach (var ((isDevice, key), (record, stored)) in changes)
            {
                var collection = isDevice ? _devices : _stations;
                if (record is null) collection.Delete(DocumentId(key));
                else if (stored) collection.Upsert(ToDocument(record));
                else collection.Insert(ToDocument(record)); // one index walk instead of two
            }
            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    /// <summary>Folds the write-ahead log into the data file (on a clean stop, so the next start reads one file).</summary>
    public void Checkpoint() => _db.Checkpoint();

    public void Dispose() => _db.Dispose();

    private static string DocumentId(RecordKey key) =>
        key.Station is null ? key.Id : TopicSegment.Escape(key.Station) + "/" + TopicSegment.Escape(key.Id);

    private static BsonDocument ToDocument(IndexRecord r)
    {
        var doc = new BsonDocument
        {
            ["_id"] = DocumentId(r.Key),
            ["availability"] = r.Availability is { } a ? new BsonValue(a) : BsonValue.Null,
            ["online"] = r.Online,
            ["stale"] = r.Stale,
            ["firstSeen"] = r.FirstSeen.UtcDateTime,
            ["lastSeen"] = r.LastSeen.UtcDateTime,
        };
        if (r.Station is not null)
        {
            doc["station"] = r.Station;
            doc["device"] = r.Id;
        }
        if (BsonJson.TryToBson(r.Props, out var props)) doc["props"] = props;
        else doc["propsJson"] = System.Text.Encoding.UTF8.GetString(r.Props); // keys LiteDB would merge (it ignores case)
        if (r.Notified.Length > 0)
        {
            var notified = new BsonDocument();
            foreach (var n in r.Notified)
                notified[n.Key] = new BsonDocument { ["value"] = n.Value, ["text"] = n.Text is null ? BsonValue.Null : n.Text, ["at"] = n.At.UtcDateTime };
            doc["notified"] = notified;
        }
        return doc;
    }

    private static IndexRecord FromDocument(BsonDocument doc, bool isDevice, PathTable paths)
    {
        var json = doc.TryGetValue("props", out var props) && props.IsDocument
            ? BsonJson.ToJson(props.AsDocument)
            : System.Text.Encoding.UTF8.GetBytes(doc["propsJson"].AsString);
        using var parsed = System.Text.Json.JsonDocument.Parse(json);
        var notified = new List<NotifiedEntry>();
        if (doc.TryGetValue("notified", out var n) && n.IsDocument)
            foreach (var (key, v) in n.AsDocument)
                notified.Add(new NotifiedEntry(key, v["value"].AsString, v["text"].IsString ? v["text"].AsString : null, Utc(v["at"])));
        return new IndexRecord
        {
            Id = isDevice ? doc["device"].AsString : doc["_id"].AsString,
            IsDevice = isDevice,
            Station = isDevice ? doc["station"].AsString : null,
            Availability = doc["availability"].IsBoolean ? doc["availability"].AsBoolean : null,
            Online = doc["online"].AsBoolean,
            Stale = doc["stale"].AsBoolean,
            FirstSeen = Utc(doc["firstSeen"]),
            LastSeen = Utc(doc["lastSeen"]),
            Props = json,
            Fields = PropsFields.Flatten(parsed.RootElement, paths),
            Notified = [.. notified.OrderBy(x => x.Key, StringComparer.Ordinal)],
            Generation = 0,
        };
    }

    private static DateTimeOffset Utc(BsonValue value) => new(DateTime.SpecifyKind(value.AsDateTime.ToUniversalTime(), DateTimeKind.Utc));
}
