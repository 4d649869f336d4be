using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// Persistent sessions kept across restarts and crashes of the broker, which MQTTnet 5.2 holds in memory only
/// (dotnet/MQTTnet#2065): for each client whose session outlives its connection (Session Expiry Interval above 0, or an
/// MQTT 3.1.1 client without clean session), its subscriptions and the QoS 1 and 2 messages queued for it that it has
/// not acknowledged yet (MQTT v5 4.1).
/// <para>
/// Every change is one record (<see cref="SessionRecords"/>) applied to the state in memory (<see cref="SessionState"/>)
/// and appended to <c>sessions.log</c> (<see cref="SessionLogFile"/>). Each method returns only once its records are
/// handed to the operating system, and the broker calls them before MQTTnet goes on, so a message is in the file before
/// the publisher gets its PUBACK and a subscription before the SUBACK: a broker process that is killed loses nothing it
/// acknowledged. The file is flushed to disk at each compaction and at a clean stop; a power cut can lose the records
/// the OS had not written yet. Records carry a checksum; a torn last record (the process died inside a write) is
/// dropped at load.
/// </para>
/// <para>
/// Two locks: <c>_lock</c> guards the state and the records not yet written, and is held only for work in memory;
/// <c>_writing</c> guards the file. A caller records under <c>_lock</c>, lets it go, then writes under <c>_writing</c>
/// every record waiting by then (its own and those of callers that came in meanwhile, in the order they were applied),
/// so one client's disk write does not hold up another's bookkeeping, and one write often serves several callers.
/// Lock order: <c>_writing</c> before <c>_lock</c>, never the other way round.
/// </para>
/// <para>
/// At start the log is read into <see cref="StoredSession"/>s, written out again as one compact snapshot, and the
/// broker re-creates each session through MQTTnet's own connection path before it listens (<see cref="RestoreChannel"/>).
/// </para>
/// </summary>
internal sealed partial class SessionStore : IDisposable
{
    // Compaction once the log holds this many records more than the live state needs, and 8 times as many.
    private const long CompactAfterRecords = 200_000;
    private const long CompactionCheckEvery = 10_000;

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Lock _writing = new();
    private readonly SessionState _state = new();
    private readonly SessionRecords _records = new();
    private readonly SessionLogFile _file;
    // Records applied and not yet written (under _lock); _spare is the buffer swapped in while they are (under _writing).
    private MemoryStream _unwritten = new();
    private MemoryStream _spare = new();
    private long _recordsSinceCompaction;
    private long _nextCompactionCheck = CompactAfterRecords;
    private bool _compactionDue;
    private volatile bool _failed;
    private bool _closed;

    public SessionStore(string directory, ILogger logger, TimeProvider time)
    {
        Directory.CreateDirectory(directory);
        _file = new SessionLogFile(Path.Combine(directory, "sessions.log"));
        _logger = logger;
        _time = time;
    }

    public string FilePath => _file.Path;

    /// <summary>Sessions held, for tests and logs.</summary>
    public int Count
    {
        get { lock (_lock) return _state.Count; }
    }

    /// <summary>Messages held for all sessions, not yet acknowledged.</summary>
    public int PendingMessages
    {
        get { lock (_lock) return _state.PendingMessages; }
    }

    /// <summary>
    /// Reads the log, drops the sessions whose expiry passed while the broker was down, rewrites the file as one
    /// snapshot and opens it for appending. Returns the sessions to re-create, with what is left of their expiry.
    /// </summary>
    public IReadOnlyList<StoredSession> Load()
    {
        lock (_writing)
        lock (_lock)
        {
            _closed = false;
            _state.Clear();
            var lastWrite = _time.GetUtcNow();
            bool whole;
            try
            {
                var read = _file.ReadAll();
                if (read is { } file) lastWrite = file.LastWrite;
                whole = read is null || Replay(read.Value.Bytes);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OutOfMemoryException)
            {
                LogUnreadable(_file.Path, ex.Message);
                whole = false;
            }
            // What could not be read is kept aside for a person to look at, not overwritten by the snapshot.
            if (!whole) KeepAside();
            var now = _time.GetUtcNow();
            foreach (var session in _state.Sessions.ToList())
            {
                if (session.ExpiryInterval == uint.MaxValue) continue;
                // A session whose client was connected when the broker stopped has been offline since the file's last write.
                var offlineSince = session.OfflineSince ?? lastWrite;
                var left = TimeSpan.FromSeconds(session.ExpiryInterval) - (now - offlineSince);
                if (left <= TimeSpan.Zero)
                {
                    _state.Forget(session.Id);
                    LogExpiredWhileDown(session.Id);
                    continue;
                }
                session.ExpiryInterval = (uint)Math.Max(1, Math.Ceiling(left.TotalSeconds));
                session.OfflineSince = now;
            }
            WriteSnapshot();
            return [.. _state.Sessions];
        }
    }

    /// <summary>
    /// A client's CONNECT was accepted. Without <paramref name="sessionPresent"/> MQTTnet started a new session
    /// (clean start, or none to resume): the stored one, if any, is over.
    /// </summary>
    public void Connected(string clientId, string? userName, bool cleanStart, uint expiryInterval, MqttProtocolVersion version, bool sessionPresent)
    {
        var persistent = version == MqttProtocolVersion.V500 ? expiryInterval > 0 : !cleanStart;
        if (version != MqttProtocolVersion.V500) expiryInterval = uint.MaxValue;
        lock (_lock)
        {
            if ((cleanStart || !persistent || !sessionPresent) && _state.Contains(clientId)) Record(SessionRecordTag.Remove, clientId, SessionRecords.NoBody);
            if (persistent) Record(SessionRecordTag.Session, clientId, w => SessionRecords.WriteSession(w, userName, expiryInterval, version));
        }
        WriteUnwritten();
    }

    /// <summary>A client's connection ended (not by a takeover); <paramref name="expiryInterval"/> is the one now in force.</summary>
    public void Disconnected(string clientId, uint expiryInterval)
    {
        lock (_lock)
        {
            if (!_state.TryGet(clientId, out var session)) return;
            if (session.ProtocolVersion != MqttProtocolVersion.V500) expiryInterval = uint.MaxValue;
            if (expiryInterval == 0) Record(SessionRecordTag.Remove, clientId, SessionRecords.NoBody);
            else
            {
                var now = _time.GetUtcNow();
                Record(SessionRecordTag.Offline, clientId, w => SessionRecords.WriteOffline(w, expiryInterval, now));
            }
        }
        WriteUnwritten();
    }

    /// <summary>The session ended (expired, or deleted by MQTTnet).</summary>
    public void Deleted(string clientId)
    {
        lock (_lock)
        {
            if (!_state.Contains(clientId)) return;
            Record(SessionRecordTag.Remove, clientId, SessionRecords.NoBody);
        }
        WriteUnwritten();
    }

    /// <summary>Subscriptions granted in a SUBACK that is about to go out, as the client asked for them.</summary>
    public void Subscribed(string clientId, IReadOnlyList<StoredSubscription> subscriptions)
    {
        lock (_lock)
        {
            if (!_state.Contains(clientId)) return;
            foreach (var subscription in subscriptions)
                Record(SessionRecordTag.Subscribe, clientId, w => SessionRecords.WriteSubscription(w, subscription));
        }
        WriteUnwritten();
    }

    public void Unsubscribed(string clientId, IReadOnlyList<string> filters)
    {
        lock (_lock)
        {
            if (!_state.TryGet(clientId, out var session)) return;
            foreach (var filter in filters)
                if (session.Subscriptions.ContainsKey(filter)) Record(SessionRecordTag.Unsubscribe, clientId, w => w.Write(filter));
        }
        WriteUnwritten();
    }

    /// <summary>
    /// MQTTnet is about to queue <paramref name="message"/> for <paramref name="receiverId"/> (every check has passed).
    /// Kept if the receiver's session is persistent and the message goes to it at QoS 1 or 2.
    /// </summary>
    public void Enqueueing(string receiverId, MqttApplicationMessage message)
    {
        if (message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce) return;
        lock (_lock)
        {
            if (!_state.TryGet(receiverId, out var session)) return;
            var (qos, retainAsPublished) = session.Grant(message.Topic, message.QualityOfServiceLevel);
            if (qos == MqttQualityOfServiceLevel.AtMostOnce) return;
            var sequence = _state.LastSequence + 1;
            var retain = retainAsPublished && message.Retain;
            Record(SessionRecordTag.Message, receiverId, w => SessionRecords.WriteMessage(w, sequence, qos, retain, message));
        }
        WriteUnwritten();
    }

    /// <summary>
    /// The receiver acknowledged a message (PUBACK, or PUBCOMP at QoS 2), or the broker discarded it as delivered
    /// (expired, too large for the client). Found by topic, payload and retain flag, oldest first: a retained message
    /// sent on subscribe (never stored) has the retain flag, which a stored one has only under Retain As Published.
    /// </summary>
    public void Done(string clientId, MqttPublishPacket packet)
    {
        if (packet.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce) return;
        lock (_lock)
        {
            if (!_state.TryGet(clientId, out var session)) return;
            var payload = packet.Payload.IsEmpty ? [] : System.Buffers.BuffersExtensions.ToArray(packet.Payload);
            var match = session.Pending.FirstOrDefault(p => p.Matches(packet.Topic, payload, packet.Retain));
            if (match is null) return;
            Record(SessionRecordTag.Ack, clientId, w => w.Write(match.Sequence));
        }
        WriteUnwritten();
    }

    /// <summary>
    /// Flushes the log to disk and stops recording: called when the broker stops, before MQTTnet closes the connections
    /// and drops its sessions, so that what is stored is the sessions as they were (connected ones count as offline
    /// from the file's last write, as after a crash).
    /// </summary>
    public void Close()
    {
        lock (_writing)
        {
            lock (_lock) _closed = true;
            WriteUnwritten();
            try { _file.Close(); }
            catch (IOException ex) { LogWriteFailed(ex.Message); }
        }
    }

    public void Dispose()
    {
        Close();
        lock (_writing)
        lock (_lock)
        {
            _file.Dispose();
            _records.Dispose();
            _unwritten.Dispose();
            _spare.Dispose();
        }
    }

    /// <summary>Applies one record to the state and queues it for the file; under <c>_lock</c>.</summary>
    private void Record(SessionRecordTag tag, string clientId, Action<BinaryWriter> body)
    {
        if (_closed) return;
        var record = _records.Build(tag, clientId, body);
        // Applied from the bytes just built, so the state in memory is exactly what a reload of the log gives.
        var content = SessionRecords.Content(record);
        _state.Apply(content.Array!, content.Offset, content.Count);
        if (_failed) return;
        _unwritten.Write(record);
        if (++_recordsSinceCompaction < _nextCompactionCheck) return;
        _nextCompactionCheck += CompactionCheckEvery;
        if (_recordsSinceCompaction > 8 * _state.LiveRecords) _compactionDue = true;
    }

    /// <summary>
    /// Writes every record applied so far and not yet written, in order; returns once they are in the file. Called
    /// without <c>_lock</c> held (and with or without <c>_writing</c>: the lock is re-entrant).
    /// </summary>
    private void WriteUnwritten()
    {
        lock (_writing)
        {
            MemoryStream batch;
            bool compact;
            lock (_lock)
            {
                compact = _compactionDue;
                if (_unwritten.Length == 0 && !compact) return;
                batch = _unwritten;
                _unwritten = _spare;
                _spare = batch;
            }
            try
            {
                if (!_failed) _file.Append(batch.GetBuffer().AsSpan(0, (int)batch.Length));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A full or failing disk must not stop the broker: it goes on with sessions in memory, as MQTTnet alone would.
                Fail(ex.Message);
            }
            finally
            {
                batch.SetLength(0);
            }
            if (!compact) return;
            // The snapshot holds every record applied, including those queued meanwhile: they are not written again.
            lock (_lock)
            {
                _compactionDue = false;
                _unwritten.SetLength(0);
                WriteSnapshot();
            }
        }
    }

    /// <summary>Writes the live state as a fresh log and appends to it from then on; under both locks.</summary>
    private void WriteSnapshot()
    {
        try
        {
            _file.Replace(stream =>
            {
                SessionRecords.WriteHeader(stream);
                _state.WriteSnapshot(_records, record => stream.Write(record));
            });
            _recordsSinceCompaction = 0;
            _nextCompactionCheck = CompactAfterRecords;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(ex.Message);
        }
    }

    private void Fail(string error)
    {
        _failed = true;
        LogWriteFailed(error);
    }

    /// <summary>
    /// Applies the log's records up to the first that is not whole. Returns false when what stops it is damage rather
    /// than a last record the process did not finish writing (a wrong header, a bad checksum, a record that does not
    /// decode): then the file is kept as <c>sessions.log.bad</c> before the snapshot replaces it.
    /// </summary>
    private bool Replay(byte[] file)
    {
        if (!SessionRecords.HasHeader(file))
        {
            if (file.Length == 0) return true;
            LogUnreadable(_file.Path, "not a session log of this version");
            return false;
        }
        var (end, records, offset) = SessionRecords.ReadAll(file, _state.Apply);
        if (end == SessionRecords.End.Damaged) LogUnreadable(_file.Path, $"damaged after {records} records, at byte {offset}; the rest is not restored");
        else if (end == SessionRecords.End.TornTail) LogTornTail(_file.Path, file.Length - offset, records);
        LogLoaded(_state.Count, _state.PendingMessages, records);
        return end != SessionRecords.End.Damaged;
    }

    private void KeepAside()
    {
        try { _file.KeepAside(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { LogWriteFailed(ex.Message); }
    }

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Loaded {Sessions} persistent sessions with {Messages} unacknowledged messages ({Records} records)")]
    private partial void LogLoaded(int sessions, int messages, int records);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "{Path}: dropped the last {Bytes} bytes after {Records} good records (a write the broker did not finish)")]
    private partial void LogTornTail(string path, long bytes, int records);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "{Path} cannot be read: {Why} (kept as sessions.log.bad)")]
    private partial void LogUnreadable(string path, string why);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Information, Message = "Session '{ClientId}' expired while the broker was down")]
    private partial void LogExpiredWhileDown(string clientId);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Error, Message = "Could not write the session log, sessions are kept in memory only from now on: {Error}")]
    private partial void LogWriteFailed(string error);
}
