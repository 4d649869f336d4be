using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace MqttIoT.Broker;

/// <summary>
/// Persistent sessions kept across restarts and crashes of the broker, which MQTTnet 5.2 holds in memory only
/// (dotnet/MQTTnet#2065): for each client whose session outlives its connection (Session Expiry Interval above 0, or an
/// MQTT 3.1.1 client without clean session), its subscriptions and the QoS 1 and 2 messages queued for it that it has
/// not acknowledged yet (MQTT v5 4.1).
/// <para>
/// Every change is one record appended to <c>sessions.log</c> and handed to the operating system before MQTTnet goes
/// on, so a message is in the file before the publisher gets its PUBACK and a subscription before the SUBACK: a broker
/// process that is killed loses nothing it acknowledged. The file is flushed to disk at each compaction and at a clean
/// stop; a power cut can lose the records the OS had not written yet. Records carry a checksum; a torn last record
/// (the process died inside a write) is dropped at load.
/// </para>
/// <para>
/// At start the log is read into <see cref="StoredSession"/>s, written out again as one compact snapshot, and the
/// broker re-creates each session through MQTTnet's own connection path before it listens (<see cref="RestoreChannel"/>).
/// </para>
/// </summary>
internal sealed partial class SessionStore : IDisposable
{
    private const uint Magic = 0x4D515353; // "MQSS"
    private const int FormatVersion = 1;
    private const int HeaderLength = 8;
    // Compaction once the log holds this many records more than the live state needs, and 8 times as many.
    private const long CompactAfterRecords = 200_000;

    private enum Tag : byte { Session = 1, Offline = 2, Remove = 3, Subscribe = 4, Unsubscribe = 5, Message = 6, Ack = 7 }

    private readonly string _path;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredSession> _sessions = new(StringComparer.Ordinal);
    private readonly MemoryStream _record = new();
    private readonly BinaryWriter _writer;
    private SafeFileHandle? _file;
    private long _length;
    private long _recordsSinceCompaction;
    private long _nextSequence;
    private bool _failed;
    private bool _closed;

    public SessionStore(string directory, ILogger logger, TimeProvider time)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "sessions.log");
        _logger = logger;
        _time = time;
        _writer = new BinaryWriter(_record, Encoding.UTF8, leaveOpen: true);
    }

    public string FilePath => _path;

    /// <summary>Sessions held, for tests and logs.</summary>
    public int Count
    {
        get { lock (_lock) return _sessions.Count; }
    }

    /// <summary>Messages held for all sessions, not yet acknowledged.</summary>
    public int PendingMessages
    {
        get { lock (_lock) return _sessions.Values.Sum(s => s.Pending.Count); }
    }

    /// <summary>
    /// Reads the log, drops the sessions whose expiry passed while the broker was down, rewrites the file as one
    /// snapshot and opens it for appending. Returns the sessions to re-create, with what is left of their expiry.
    /// </summary>
    public IReadOnlyList<StoredSession> Load()
    {
        lock (_lock)
        {
            _closed = false;
            _sessions.Clear();
            var lastWrite = _time.GetUtcNow();
            if (File.Exists(_path))
            {
                lastWrite = new DateTimeOffset(File.GetLastWriteTimeUtc(_path));
                bool whole;
                try { whole = Replay(File.ReadAllBytes(_path)); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OutOfMemoryException)
                {
                    LogUnreadable(_path, ex.Message);
                    whole = false;
                }
                // What could not be read is kept aside for a person to look at, not overwritten by the snapshot.
                if (!whole) KeepAside();
            }
            var now = _time.GetUtcNow();
            foreach (var session in _sessions.Values.ToList())
            {
                if (session.ExpiryInterval == uint.MaxValue) continue;
                // A session whose client was connected when the broker stopped has been offline since the file's last write.
                var offlineSince = session.OfflineSince ?? lastWrite;
                var left = TimeSpan.FromSeconds(session.ExpiryInterval) - (now - offlineSince);
                if (left <= TimeSpan.Zero)
                {
                    _sessions.Remove(session.Id);
                    LogExpiredWhileDown(session.Id);
                    continue;
                }
                session.ExpiryInterval = (uint)Math.Max(1, Math.Ceiling(left.TotalSeconds));
                session.OfflineSince = now;
            }
            WriteSnapshot();
            return [.. _sessions.Values];
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
            if ((cleanStart || !persistent || !sessionPresent) && _sessions.ContainsKey(clientId)) Append(Tag.Remove, clientId, NoBody);
            if (!persistent) return;
            Append(Tag.Session, clientId, w => WriteSession(w, userName, expiryInterval, version));
        }
    }

    /// <summary>A client's connection ended (not by a takeover); <paramref name="expiryInterval"/> is the one now in force.</summary>
    public void Disconnected(string clientId, uint expiryInterval)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(clientId, out var session)) return;
            if (session.ProtocolVersion != MqttProtocolVersion.V500) expiryInterval = uint.MaxValue;
            if (expiryInterval == 0)
            {
                Append(Tag.Remove, clientId, NoBody);
                return;
            }
            var now = _time.GetUtcNow();
            Append(Tag.Offline, clientId, w => WriteOffline(w, expiryInterval, now));
        }
    }

    /// <summary>The session ended (expired, or deleted by MQTTnet).</summary>
    public void Deleted(string clientId)
    {
        lock (_lock)
        {
            if (_sessions.ContainsKey(clientId)) Append(Tag.Remove, clientId, NoBody);
        }
    }

    /// <summary>Subscriptions granted in a SUBACK that is about to go out, as the client asked for them.</summary>
    public void Subscribed(string clientId, IReadOnlyList<StoredSubscription> subscriptions)
    {
        lock (_lock)
        {
            if (!_sessions.ContainsKey(clientId)) return;
            foreach (var subscription in subscriptions) Append(Tag.Subscribe, clientId, w => Write(w, subscription));
        }
    }

    public void Unsubscribed(string clientId, IReadOnlyList<string> filters)
    {
        lock (_lock)
        {
            if (!_sessions.TryGetValue(clientId, out var session)) return;
            foreach (var filter in filters)
                if (session.Subscriptions.ContainsKey(filter)) Append(Tag.Unsubscribe, clientId, w => w.Write(filter));
        }
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
            if (!_sessions.TryGetValue(receiverId, out var session)) return;
            var (qos, retainAsPublished) = session.Grant(message.Topic, message.QualityOfServiceLevel);
            if (qos == MqttQualityOfServiceLevel.AtMostOnce) return;
            var sequence = ++_nextSequence;
            var retain = retainAsPublished && message.Retain;
            Append(Tag.Message, receiverId, w => WriteMessage(w, sequence, qos, retain, message));
        }
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
            if (!_sessions.TryGetValue(clientId, out var session)) return;
            var payload = packet.Payload.IsEmpty ? [] : System.Buffers.BuffersExtensions.ToArray(packet.Payload);
            for (var node = session.Pending.First; node is not null; node = node.Next)
            {
                if (!node.Value.Matches(packet.Topic, payload, packet.Retain)) continue;
                var sequence = node.Value.Sequence;
                Append(Tag.Ack, clientId, w => w.Write(sequence));
                return;
            }
        }
    }

    /// <summary>Hooks the store to what MQTTnet reports; attach it after every handler that may refuse a delivery.</summary>
    public void Attach(MqttServer server)
    {
        server.InterceptingClientEnqueueAsync += e =>
        {
            if (e.AcceptEnqueue) Enqueueing(e.ReceiverClientId, e.ApplicationMessage);
            return Task.CompletedTask;
        };
        server.ClientAcknowledgedPublishPacketAsync += e =>
        {
            if (e.AcknowledgePacket is MqttPubAckPacket or MqttPubCompPacket) Done(e.ClientId, e.PublishPacket);
            return Task.CompletedTask;
        };
        // A message MQTTnet drops from a full queue stays in its unacknowledged list and goes out again when the client
        // resumes (MqttSession.Recover), so it stays stored too.
        server.SessionDeletedAsync += e =>
        {
            Deleted(e.Id);
            return Task.CompletedTask;
        };
    }

    /// <summary>
    /// Flushes the log to disk and stops recording: called when the broker stops, before MQTTnet closes the connections
    /// and drops its sessions, so that what is stored is the sessions as they were (connected ones count as offline
    /// from the file's last write, as after a crash).
    /// </summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            if (_file is null) return;
            try { RandomAccess.FlushToDisk(_file); }
            catch (IOException ex) { LogWriteFailed(ex.Message); }
            _file.Dispose();
            _file = null;
        }
    }

    public void Dispose()
    {
        Close();
        lock (_lock)
        {
            _writer.Dispose();
            _record.Dispose();
        }
    }

    // One record: [length of what follows it: int32][tag][client id][body][FNV-1a of tag..body: uint32].
    private int BuildRecord(Tag tag, string clientId, Action<BinaryWriter> body)
    {
        _record.SetLength(0);
        _writer.Write(0);
        _writer.Write((byte)tag);
        _writer.Write(clientId);
        body(_writer);
        _writer.Flush();
        var content = (int)_record.Length - 4;
        _writer.Write(Fnv1a(_record.GetBuffer().AsSpan(4, content)));
        _writer.Flush();
        BinaryPrimitives.WriteInt32LittleEndian(_record.GetBuffer(), content + 4);
        return (int)_record.Length;
    }

    private void Append(Tag tag, string clientId, Action<BinaryWriter> body)
    {
        if (_closed) return;
        var length = BuildRecord(tag, clientId, body);
        // Applied from the bytes just written, so the state in memory is exactly what a reload of the log gives.
        Apply(_record.GetBuffer(), 4, length - 8);
        if (_file is null || _failed) return;
        try
        {
            RandomAccess.Write(_file, _record.GetBuffer().AsSpan(0, length), _length);
            _length += length;
        }
        catch (IOException ex)
        {
            // A full or failing disk must not stop the broker: it goes on with sessions in memory, as MQTTnet alone would.
            _failed = true;
            LogWriteFailed(ex.Message);
            return;
        }
        if (++_recordsSinceCompaction >= CompactAfterRecords && _recordsSinceCompaction % 10_000 == 0 && _recordsSinceCompaction > 8 * LiveRecords())
            WriteSnapshot();
    }

    private static readonly Action<BinaryWriter> NoBody = static _ => { };

    private long LiveRecords() => _sessions.Values.Sum(s => 2L + s.Subscriptions.Count + s.Pending.Count);

    /// <summary>Applies one record (tag onwards, without length and checksum) to the state.</summary>
    private void Apply(byte[] buffer, int offset, int count)
    {
        using var r = MessageCodec.Reader(buffer, offset, count);
        var tag = (Tag)r.ReadByte();
        var id = r.ReadString();
        _sessions.TryGetValue(id, out var session);
        switch (tag)
        {
            case Tag.Session:
                session ??= _sessions[id] = new StoredSession(id);
                session.UserName = MessageCodec.ReadNullable(r);
                session.ExpiryInterval = r.ReadUInt32();
                session.ProtocolVersion = (MqttProtocolVersion)r.ReadByte();
                session.OfflineSince = null;
                break;
            case Tag.Offline when session is not null:
                session.ExpiryInterval = r.ReadUInt32();
                session.OfflineSince = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
                break;
            case Tag.Remove:
                _sessions.Remove(id);
                break;
            case Tag.Subscribe when session is not null:
                var subscription = ReadSubscription(r);
                session.Subscriptions[subscription.Filter] = subscription;
                break;
            case Tag.Unsubscribe when session is not null:
                session.Subscriptions.Remove(r.ReadString());
                break;
            case Tag.Message when session is not null:
                var sequence = r.ReadInt64();
                var qos = (MqttQualityOfServiceLevel)r.ReadByte();
                var retain = r.ReadBoolean();
                var expiry = r.ReadUInt32();
                var message = MessageCodec.Read(r).WithQualityOfServiceLevel(qos).WithRetainFlag(retain).WithMessageExpiryInterval(expiry).Build();
                session.Pending.AddLast(new PendingMessage(sequence, message, message.Payload.IsEmpty ? [] : System.Buffers.BuffersExtensions.ToArray(message.Payload)));
                _nextSequence = Math.Max(_nextSequence, sequence);
                break;
            case Tag.Ack when session is not null:
                var acked = r.ReadInt64();
                for (var node = session.Pending.First; node is not null; node = node.Next)
                {
                    if (node.Value.Sequence != acked) continue;
                    session.Pending.Remove(node);
                    break;
                }
                break;
            case > Tag.Ack or < Tag.Session:
                throw new InvalidDataException($"unknown record {(byte)tag}");
        }
    }

    /// <summary>
    /// Applies the log's records up to the first that is not whole. Returns false when what stops it is damage rather
    /// than a last record the process did not finish writing (a wrong header, a bad checksum, a record that does not
    /// decode): then the file is kept as <c>sessions.log.bad</c> before the snapshot replaces it.
    /// </summary>
    private bool Replay(byte[] file)
    {
        if (file.Length < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(file) != Magic
            || BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(4)) != FormatVersion)
        {
            if (file.Length == 0) return true;
            LogUnreadable(_path, "not a session log of this version");
            return false;
        }
        long offset = HeaderLength;
        var records = 0;
        var damaged = false;
        while (offset + 4 <= file.Length)
        {
            long length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan((int)offset));
            if (length < 5) { damaged = true; break; }
            if (offset + 4 + length > file.Length) break; // the last write did not finish
            var content = file.AsSpan((int)offset + 4, (int)length - 4);
            if (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)(offset + length))) != Fnv1a(content)) { damaged = true; break; }
            try { Apply(file, (int)offset + 4, (int)length - 4); }
            catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or ArgumentException or FormatException or IOException)
            {
                damaged = true;
                break;
            }
            offset += 4 + length;
            records++;
        }
        if (damaged) LogUnreadable(_path, $"damaged after {records} records, at byte {offset}; the rest is not restored");
        else if (offset < file.Length) LogTornTail(_path, file.Length - offset, records);
        LogLoaded(_sessions.Count, _sessions.Values.Sum(s => s.Pending.Count), records);
        return !damaged;
    }

    private void KeepAside()
    {
        try { File.Copy(_path, _path + ".bad", overwrite: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { LogWriteFailed(ex.Message); }
    }

    /// <summary>Writes the live state as a fresh log (temporary file, flushed to disk, renamed over the old one) and appends to it from then on.</summary>
    private void WriteSnapshot()
    {
        var temp = _path + ".tmp";
        var previous = _file;
        _file = null;
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> header = stackalloc byte[HeaderLength];
                BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
                BinaryPrimitives.WriteInt32LittleEndian(header[4..], FormatVersion);
                stream.Write(header);
                foreach (var s in _sessions.Values)
                {
                    WriteRecord(stream, Tag.Session, s.Id, w => WriteSession(w, s.UserName, s.ExpiryInterval, s.ProtocolVersion));
                    if (s.OfflineSince is { } since) WriteRecord(stream, Tag.Offline, s.Id, w => WriteOffline(w, s.ExpiryInterval, since));
                    foreach (var sub in s.Subscriptions.Values) WriteRecord(stream, Tag.Subscribe, s.Id, w => Write(w, sub));
                    foreach (var p in s.Pending)
                        WriteRecord(stream, Tag.Message, s.Id, w => WriteMessage(w, p.Sequence, p.Message.QualityOfServiceLevel, p.Message.Retain, p.Message));
                }
                stream.Flush(flushToDisk: true);
            }
            previous?.Dispose();
            File.Move(temp, _path, overwrite: true);
            _file = File.OpenHandle(_path, FileMode.Open, FileAccess.Write, FileShare.Read);
            _length = RandomAccess.GetLength(_file);
            _recordsSinceCompaction = 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            previous?.Dispose();
            _failed = true;
            LogWriteFailed(ex.Message);
        }
    }

    private void WriteRecord(Stream stream, Tag tag, string clientId, Action<BinaryWriter> body)
    {
        var length = BuildRecord(tag, clientId, body);
        stream.Write(_record.GetBuffer(), 0, length);
    }

    // The bodies of the records, each read back in Apply.
    private static void WriteSession(BinaryWriter w, string? userName, uint expiryInterval, MqttProtocolVersion version)
    {
        MessageCodec.WriteNullable(w, userName);
        w.Write(expiryInterval);
        w.Write((byte)version);
    }

    private static void WriteOffline(BinaryWriter w, uint expiryInterval, DateTimeOffset since)
    {
        w.Write(expiryInterval);
        w.Write(since.ToUnixTimeMilliseconds());
    }

    private static void WriteMessage(BinaryWriter w, long sequence, MqttQualityOfServiceLevel qos, bool retain, MqttApplicationMessage message)
    {
        w.Write(sequence);
        w.Write((byte)qos);
        w.Write(retain);
        w.Write(message.MessageExpiryInterval);
        MessageCodec.Write(w, message);
    }

    private static void Write(BinaryWriter w, StoredSubscription s)
    {
        w.Write(s.Filter);
        w.Write((byte)s.QualityOfService);
        w.Write(s.NoLocal);
        w.Write(s.RetainAsPublished);
        w.Write(s.SubscriptionIdentifier);
    }

    private static StoredSubscription ReadSubscription(BinaryReader r) =>
        new(r.ReadString(), (MqttQualityOfServiceLevel)r.ReadByte(), r.ReadBoolean(), r.ReadBoolean(), r.ReadUInt32());

    private static uint Fnv1a(ReadOnlySpan<byte> data)
    {
        var hash = 2166136261u;
        foreach (var b in data) hash = (hash ^ b) * 16777619u;
        return hash;
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

/// <summary>A persistent session as <see cref="SessionStore"/> keeps it.</summary>
internal sealed class StoredSession(string id)
{
    public string Id { get; } = id;
    public string? UserName { get; set; }
    /// <summary>Seconds; <see cref="uint.MaxValue"/> never expires.</summary>
    public uint ExpiryInterval { get; set; }
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;
    /// <summary>Null while the client is connected.</summary>
    public DateTimeOffset? OfflineSince { get; set; }
    public Dictionary<string, StoredSubscription> Subscriptions { get; } = new(StringComparer.Ordinal);
    public LinkedList<PendingMessage> Pending { get; } = new();

    /// <summary>
    /// The QoS a message on <paramref name="topic"/> goes out at (3.8.4: the lower of the publish's and the best
    /// matching subscription's) and whether it keeps its retain flag. A message no stored subscription matches (the
    /// SUBACK is still on its way) keeps its own QoS.
    /// </summary>
    public (MqttQualityOfServiceLevel QoS, bool RetainAsPublished) Grant(string topic, MqttQualityOfServiceLevel published)
    {
        var best = -1;
        var retainAsPublished = false;
        foreach (var s in Subscriptions.Values)
        {
            if (MqttTopicFilterComparer.Compare(topic, SharedSubscriptions.PlainFilter(s.Filter)) != MqttTopicFilterCompareResult.IsMatch) continue;
            best = Math.Max(best, (int)s.QualityOfService);
            retainAsPublished |= s.RetainAsPublished;
        }
        return best < 0 ? (published, false) : ((MqttQualityOfServiceLevel)Math.Min(best, (int)published), retainAsPublished);
    }
}

internal readonly record struct StoredSubscription(string Filter, MqttQualityOfServiceLevel QualityOfService, bool NoLocal, bool RetainAsPublished, uint SubscriptionIdentifier);

internal sealed record PendingMessage(long Sequence, MqttApplicationMessage Message, byte[] Payload)
{
    public bool Matches(string topic, byte[] payload, bool retain) =>
        retain == Message.Retain && string.Equals(topic, Message.Topic, StringComparison.Ordinal) && payload.AsSpan().SequenceEqual(Payload);
}
