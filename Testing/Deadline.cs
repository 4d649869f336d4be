using System.Diagnostics;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>Every wait in the tests has a deadline: a signal that does not come fails the test instead of hanging it.</summary>
public static class Deadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);

    // How often UntilAsync looks again: a poll, not a sleep that hopes; the deadline is what fails the test.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static CancellationToken Token(TimeSpan? timeout = null) => new CancellationTokenSource(timeout ?? Default).Token;

    /// <summary>Reads events until one matches, failing at the deadline.</summary>
    public static async Task<T> WaitForAsync<T>(this IAsyncEnumerable<T> source, Func<T, bool> predicate, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Default);
        var skipped = new Queue<T>();
        try
        {
            await foreach (var item in source.WithCancellation(cts.Token))
            {
                if (predicate(item)) return item;
                skipped.Enqueue(item);
                if (skipped.Count > 12) skipped.Dequeue();
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested) { }
        throw new TimeoutException($"no matching {typeof(T).Name} within {(timeout ?? Default).TotalSeconds} s; last seen:\n  "
            + string.Join("\n  ", skipped));
    }

    /// <summary>Collects events until <paramref name="count"/> matched, failing at the deadline.</summary>
    public static async Task<List<T>> CollectAsync<T>(this IAsyncEnumerable<T> source, int count, Func<T, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var items = new List<T>();
        using var cts = new CancellationTokenSource(timeout ?? Default);
        try
        {
            await foreach (var item in source.WithCancellation(cts.Token))
            {
                if (predicate is null || predicate(item)) items.Add(item);
                if (items.Count == count) return items;
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested) { }
        throw new TimeoutException($"only {items.Count} of {count} {typeof(T).Name} within {(timeout ?? Default).TotalSeconds} s");
    }

    /// <summary>Polls a condition that has no event of its own (a retained topic, a counter), failing at the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Default;
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > limit) throw new TimeoutException($"{what}: not true within {limit.TotalSeconds} s");
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Polls a condition that has no event of its own and needs no I/O to check (a counter), failing at the deadline.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);
}
