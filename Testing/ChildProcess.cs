using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// A program the tests or the benchmarks start (a host, Mosquitto, node, a command line): the one place a child
/// process is launched. Its output (standard output and error, in arrival order) is kept, the last
/// <c>keptLines</c> lines, for failure messages and for tests that wait on a line; it can be stopped the way a
/// service manager does (SIGTERM), killed the hard way (SIGKILL), and its resident memory and CPU time read.
/// Disposing it stops it: SIGTERM, then a kill if it has not exited within 10 s.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly int _keptLines;
    private readonly Queue<(bool Error, string Text)> _lines = new();
    // Every line as it comes, for WaitForLineAsync; completed when both streams have ended.
    private readonly Channel<string> _live;
    private int _openStreams = 2;

    private ChildProcess(Process process, int keptLines)
    {
        _process = process;
        _keptLines = keptLines;
        _live = Channel.CreateBounded<string>(new BoundedChannelOptions(keptLines) { FullMode = BoundedChannelFullMode.DropOldest });
    }

    /// <summary>The operating system's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code, once it has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The program's file name, for messages.</summary>
    public string FileName => _process.StartInfo.FileName;

    /// <summary>Starts a program; its output is captured.</summary>
    /// <param name="keepStandardInput">Redirects its standard input and keeps it open: a program that exits when its
    /// stdin closes (the node-opcua test server) then dies with the test process.</param>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, int keptLines = 1000, bool keepStandardInput = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = keepStandardInput, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, keptLines);
        process.OutputDataReceived += (_, e) => child.Keep(error: false, e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(error: true, e.Data);
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"could not start {fileName} (is it installed? ./test.sh installs what the tests need)", ex);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last lines it printed on either stream, in arrival order.</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines.Select(l => l.Text)]; }
    }

    /// <summary>The last lines it printed, as one text.</summary>
    public string Output => string.Join('\n', Lines);

    /// <summary>What it printed on standard output (of the kept lines).</summary>
    public string StandardOutput => Text(error: false);

    /// <summary>What it printed on standard error (of the kept lines).</summary>
    public string StandardError => Text(error: true);

    /// <summary>Warning and error messages it printed (console logger: the level line and the message line after it).</summary>
    public IReadOnlyList<string> Problems()
    {
        var lines = Lines;
        List<string> found = [];
        for (int i = 0; i < lines.Count; i++)
            if (lines[i].StartsWith("warn:", StringComparison.Ordinal) || lines[i].StartsWith("fail:", StringComparison.Ordinal) || lines[i].StartsWith("crit:", StringComparison.Ordinal))
                found.Add(lines[i] + (i + 1 < lines.Count ? " " + lines[i + 1].Trim() : ""));
        return found;
    }

    /// <summary>Waits for a line (printed from now on, or earlier and not yet waited past) that matches, failing at the deadline or when the program ends first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Deadline.Default;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                var line = await _live.Reader.ReadAsync(cts.Token);
                if (predicate(line)) return line;
            }
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"{what}: {FileName} ended without such a line; it printed:\n{Output}");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"{what}: no such line within {limit.TotalSeconds} s; {FileName} printed:\n{Output}");
        }
    }

    /// <summary>Waits until something accepts TCP connections on the loopback port, failing if the program exits first.</summary>
    public Task WaitForPortAsync(int port, TimeSpan? timeout = null) =>
        Deadline.UntilAsync(async () =>
        {
            if (_process.HasExited) throw new InvalidOperationException($"{FileName} exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException) { return false; }
        }, $"{FileName} listening on {port}", timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>Waits until it has exited by itself; at the deadline it is killed and a <see cref="TimeoutException"/> says what it printed.</summary>
    public async Task WaitForExitAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? Deadline.Default;
        try { await _process.WaitForExitAsync(Deadline.Token(limit)); }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not finish within {limit.TotalSeconds} s; output so far:\n{Output}");
        }
        _process.WaitForExit(); // flush the output events
    }

    /// <summary>SIGKILL: no shutdown code runs, files are left as the crash left them.</summary>
    public async Task KillAsync(bool entireProcessTree = false)
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree);
        await _process.WaitForExitAsync(Deadline.Token());
    }

    /// <summary>
    /// SIGTERM (the host stops cleanly: the hub commits, a gateway says offline, Mosquitto saves), then a kill if it
    /// has not exited within <paramref name="grace"/>; with <paramref name="failIfItHangs"/> the kill is followed by a
    /// <see cref="TimeoutException"/>, for a test to which a clean stop matters.
    /// </summary>
    public async Task StopAsync(TimeSpan? grace = null, bool failIfItHangs = false)
    {
        if (_process.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync(Deadline.Token());
        var limit = grace ?? StopGrace;
        try { await _process.WaitForExitAsync(Deadline.Token(limit)); }
        catch (OperationCanceledException)
        {
            await KillAsync(entireProcessTree: true);
            if (failIfItHangs) throw new TimeoutException($"{FileName} did not stop within {limit.TotalSeconds} s of SIGTERM; it printed:\n{Output}");
        }
    }

    /// <summary>Resident memory now and its peak (VmRSS, VmHWM of /proc), in bytes.</summary>
    public (long Resident, long Peak) Memory() => ReadMemory(_process.Id);

    /// <summary>Resident memory now and its peak of any process, in bytes (Linux /proc).</summary>
    public static (long Resident, long Peak) ReadMemory(int pid)
    {
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = ParseKb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = ParseKb(line);
        }
        return (rss, hwm);
    }

    /// <summary>CPU time used so far (user + system), from /proc.</summary>
    public TimeSpan CpuTime()
    {
        var fields = File.ReadAllText($"/proc/{_process.Id}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the ")" the fields start at field 3 (state): utime is field 14, stime 15.
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Stops it (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    /// <summary>The program and what it printed, for an exception message.</summary>
    public override string ToString() => $"{FileName}: {Output}";

    private static long ParseKb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private void Keep(bool error, string? line)
    {
        if (line is null)
        {
            if (Interlocked.Decrement(ref _openStreams) == 0) _live.Writer.TryComplete();
            return;
        }
        lock (_lines)
        {
            _lines.Enqueue((error, line));
            while (_lines.Count > _keptLines) _lines.Dequeue();
        }
        _live.Writer.TryWrite(line);
    }

    private string Text(bool error)
    {
        lock (_lines) return string.Join('\n', _lines.Where(l => l.Error == error).Select(l => l.Text));
    }
}
