using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace MqttIoT.Broker;

/// <summary>
/// The persistent sessions as the records of <c>sessions.log</c> describe them: the state is only ever changed by
/// <see cref="Apply"/>ing a record, at load (replay) as when recording, so what is in memory is exactly what a reload
/// of the log gives. Not thread-safe: <see cref="SessionStore"/> holds its lock around every use.
/// </summary>
internal sealed class SessionState
{
    private readonly Dictionary<string, StoredSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>The highest message sequence number applied.</summary>
    public long LastSequence { get; private set; }

    public int Count => _sessions.Count;

    public int PendingMessages => _sessions.Values.Sum(s => s.Pending.Count);

    public IEnumerable<StoredSession> Sessions => _sessions.Values;

    /// <summary>How many records a snapshot of the state takes.</summary>
    public long LiveRecords => _sessions.Values.Sum(s => 2L + s.Subscriptions.Count + s.Pending.Count);

    public bool TryGet(string clientId, out StoredSession session) => _sessions.TryGetValue(clientId, out session!);

    public bool Contains(string clientId) => _sessions.ContainsKey(clientId);

    /// <summary>Drops a session without a record: only at load, before the snapshot that then no longer holds it.</summary>
    public void Forget(string clientId) => _sessions.Remove(clientId);

    public void Clear() => _sessions.Clear();

    /// <summary>Applies one record's content (tag onwards, without length and checksum).</summary>
    public void Apply(byte[] buffer, int offset, int count)
    {
        using var r = MessageCodec.Reader(buffer, offset, count);
        var tag = (SessionRecordTag)r.ReadByte();
        var id = r.ReadString();
        _sessions.TryGetValue(id, out var session);
        switch (tag)
        {
            case SessionRecordTag.Session:
                session ??= _sessions[id] = new StoredSession(id);
                session.UserName = MessageCodec.ReadNullable(r);
                session.ExpiryInterval = r.ReadUInt32();
                session.ProtocolVersion = (MqttProtocolVersion)r.ReadByte();
                session.OfflineSince = null;
                break;
            case SessionRecordTag.Offline when session is not null:
                session.ExpiryInterval = r.ReadUInt32();
                session.OfflineSince = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
                break;
            case SessionRecordTag.Remove:
                _sessions.Remove(id);
                break;
            case SessionRecordTag.Subscribe when session is not null:
                var subscription = SessionRecords.ReadSubscription(r);
                session.Subscriptions[subscription.Filter] = subscription;
                break;
            case SessionRecordTag.Unsubscribe when session is not null:
                session.Subscriptions.Remove(r.ReadString());
                break;
            case SessionRecordTag.Message when session is not null:
                var sequence = r.ReadInt64();
                var qos = (MqttQualityOfServiceLevel)r.ReadByte();
                var retain = r.ReadBoolean();
                var expiry = r.ReadUInt32();
                var message = MessageCodec.Read(r).WithQualityOfServiceLevel(qos).WithRetainFlag(retain).WithMessageExpiryInterval(expiry).Build();
                session.Pending.AddLast(new PendingMessage(sequence, message, message.Payload.IsEmpty ? [] : System.Buffers.BuffersExtensions.ToArray(message.Payload)));
                LastSequence = Math.Max(LastSequence, sequence);
                break;
            case SessionRecordTag.Ack when session is not null:
                var acked = r.ReadInt64();
                for (var node = session.Pending.First; node is not null; node = node.Next)
                {
                    if (node.Value.Sequence != acked) continue;
                    session.Pending.Remove(node);
                    break;
                }
                break;
            case > SessionRecordTag.Ack or < SessionRecordTag.Session:
                throw new InvalidDataException($"unknown record {(byte)tag}");
        }
    }

    /// <summary>Writes the state as the records that re-create it (a snapshot), each through <paramref name="write"/>.</summary>
    public void WriteSnapshot(SessionRecords records, Action<ArraySegment<byte>> write)
    {
        foreach (var s in _sessions.Values)
        {
            write(records.Build(SessionRecordTag.Session, s.Id, w => SessionRecords.WriteSession(w, s.UserName, s.ExpiryInterval, s.ProtocolVersion)));
            if (s.OfflineSince is { } since)
                write(records.Build(SessionRecordTag.Offline, s.Id, w => SessionRecords.WriteOffline(w, s.ExpiryInterval, since)));
            foreach (var sub in s.Subscriptions.Values)
                write(records.Build(SessionRecordTag.Subscribe, s.Id, w => SessionRecords.WriteSubscription(w, sub)));
            foreach (var p in s.Pending)
                write(records.Build(SessionRecordTag.Message, s.Id,
                    w => SessionRecords.WriteMessage(w, p.Sequence, p.Message.QualityOfServiceLevel, p.Message.Retain, p.Message)));
        }
    }
}
