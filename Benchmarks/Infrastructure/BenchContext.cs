using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>What a scenario gets: the mode, the brokers to measure on, somewhere to log and to put its figures.</summary>
public sealed class BenchContext : IAsyncDisposable
{
    private readonly List<ResultRow> _rows = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Creates the context with a scratch folder under the system's temporary folder.</summary>
    public BenchContext(BenchOptions options, string repositoryRoot)
    {
        Options = options;
        RepositoryRoot = repositoryRoot;
        Scratch = Directory.CreateTempSubdirectory("mqttiot-bench-").FullName;
        // Products in the benchmark process (gateway, Sdk clients) log warnings and errors only: a warning is a finding.
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>The command line.</summary>
    public BenchOptions Options { get; }

    /// <summary>Quick mode (CI).</summary>
    public bool Quick => Options.Quick;

    /// <summary>The repository's root (where MqttIoT.sln is).</summary>
    public string RepositoryRoot { get; }

    /// <summary>A temporary folder, deleted at the end.</summary>
    public string Scratch { get; }

    /// <summary>Logging for products run in-process.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Every figure so far.</summary>
    public IReadOnlyList<ResultRow> Rows => _rows;

    /// <summary>The count for this mode.</summary>
    public int Scale(int quick, int full) => Quick ? quick : full;

    /// <summary>Starts a broker child process.</summary>
    public Task<BrokerProcess> StartBrokerAsync(BrokerKind kind) => BrokerProcess.StartAsync(kind, RepositoryRoot, Scratch);

    /// <summary>Prints a progress line.</summary>
    public void Log(string text) => Console.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {text}");

    /// <summary>Adds a figure (and prints it), with the machine's load now.</summary>
    public void Add(ResultRow row)
    {
        row = row with { Note = string.IsNullOrEmpty(row.Note) ? $"load {MachineInfo.Load1():0.0}" : $"{row.Note}; load {MachineInfo.Load1():0.0}" };
        _rows.Add(row);
        Log($"  {row.Scenario} | {row.Figure} | {row.Broker}: {ResultTable.Format(row.Value, row.Unit)}" +
            (row.Baseline is { } b ? $" vs {ResultTable.Format(b, row.Unit)} (x{row.Ratio:0.00})" : "") +
            (row.Met is { } met ? (met ? "  [met]" : "  [NOT met]") : "") + $"  ({row.Note})");
    }

    /// <summary>Deletes the scratch folder.</summary>
    public ValueTask DisposeAsync()
    {
        LoggerFactory.Dispose();
        try { Directory.Delete(Scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}
