using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>
/// A process the benchmark starts (a broker, a gateway): its output is kept (the last lines, for failure
/// messages), its resident memory can be read, and disposing it stops it (SIGTERM, then kill).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();

    private ChildProcess(Process process) => _process = process;

    /// <summary>The operating system's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts a program with arguments; output is captured.</summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory,
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last lines it printed.</summary>
    public string Output
    {
        get { lock (_lines) return string.Join('\n', _lines); }
    }

    /// <summary>Warning and error messages it printed (console logger: the level line and the message line after it).</summary>
    public IReadOnlyList<string> Problems()
    {
        lock (_lines)
        {
            var lines = _lines.ToArray();
            List<string> found = [];
            for (int i = 0; i < lines.Length; i++)
                if (lines[i].StartsWith("warn:", StringComparison.Ordinal) || lines[i].StartsWith("fail:", StringComparison.Ordinal) || lines[i].StartsWith("crit:", StringComparison.Ordinal))
                    found.Add(lines[i] + (i + 1 < lines.Length ? " " + lines[i + 1].Trim() : ""));
            return found;
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > KeptLines) _lines.Dequeue();
        }
    }

    /// <summary>Waits until something accepts TCP connections on the loopback port.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var limit = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (limit.Elapsed < timeout)
            {
                await Task.Delay(20);
            }
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

    private static long ParseKb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    /// <summary>Stops it: SIGTERM, and a kill if it has not exited within 10 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(wait.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
    }

    /// <summary>A text of the process's output, for an exception message.</summary>
    public override string ToString() => new StringBuilder().Append(_process.StartInfo.FileName).Append(": ").Append(Output).ToString();
}
