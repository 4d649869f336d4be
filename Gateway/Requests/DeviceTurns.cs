namespace MqttIoT.Gateway.Requests;

/// <summary>
/// One turn at a time per device id: its own requests, and station requests naming it (CONNECT, DISCONNECT), run one
/// after another. An id's entry lives only while someone holds or waits for its turn, so ids named once (by a typo, a
/// device that left, a client trying random names) leave nothing behind.
/// </summary>
internal sealed class DeviceTurns
{
    private readonly Dictionary<string, Turn> _turns = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Ids with someone holding or waiting for their turn.</summary>
    public int Count
    {
        get { lock (_lock) return _turns.Count; }
    }

    /// <summary>Waits for the device's turn; disposing the result ends it.</summary>
    public async ValueTask<IDisposable> WaitAsync(string deviceId, CancellationToken cancellationToken)
    {
        Turn turn;
        lock (_lock)
        {
            if (!_turns.TryGetValue(deviceId, out turn!)) _turns[deviceId] = turn = new Turn(this, deviceId);
            turn.Users++;
        }
        try
        {
            await turn.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(turn);
            throw;
        }
        return turn.Holder();
    }

    private void Leave(Turn turn)
    {
        lock (_lock)
        {
            if (--turn.Users == 0)
            {
                _turns.Remove(turn.Id);
                turn.Gate.Dispose();
            }
        }
    }

    private sealed class Turn(DeviceTurns owner, string id)
    {
        public DeviceTurns Owner { get; } = owner;
        public string Id { get; } = id;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public int Users; // guarded by owner._lock

        public IDisposable Holder() => new Held(this);

        private sealed class Held(Turn turn) : IDisposable
        {
            private int _released;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _released, 1) != 0) return;
                turn.Gate.Release();
                turn.Owner.Leave(turn);
            }
        }
    }
}
