using System.Diagnostics;
using MqttIoT.Benchmarks.Infrastructure;
using MqttIoT.Benchmarks.Scenarios;

// Benchmarks of every hot path, each figure beside its baseline on both brokers; see README.md.
IScenario[] scenarios =
[
    new RequestResponseScenario(),
    new NotificationScenario(),
    new BrokerScenario(),
    new GatewayScaleScenario(),
    new HubIngestScenario(),
    new HubQueryScenario(),
    new SessionStoreScenario(),
    new DashboardScenario(),
    new OpcUaScenario(),
];

var root = FindRepositoryRoot();
BenchOptions options;
try
{
    options = BenchOptions.Parse(args, Path.Combine(root, "BENCHMARKS.md"));
    if (options.Quick && !args.Contains("--out")) options = new BenchOptions
    {
        Quick = true, Only = options.Only, Brokers = options.Brokers, Output = null, List = options.List,
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
if (options.List)
{
    foreach (var s in scenarios) Console.WriteLine($"{s.Name,-10} {s.Title}");
    return 0;
}
var unknown = options.Only.Where(o => scenarios.All(s => s.Name != o)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown scenario(s): {string.Join(", ", unknown)}; --list names them");
    return 2;
}
#if DEBUG
Console.Error.WriteLine("warning: a Debug build; the figures are only meaningful from -c Release");
#endif

var started = DateTimeOffset.UtcNow;
var loadBefore = MachineInfo.LoadAverage();
var clock = Stopwatch.StartNew();
await using var context = new BenchContext(options, root);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
context.Log($"MqttIoT benchmarks{(options.Quick ? " (quick)" : "")} on {string.Join(" and ", options.Brokers.Select(BrokerProcess.NameOf))}; load {loadBefore}");
int failures = 0;
foreach (var scenario in scenarios.Where(s => options.Only.Count == 0 || options.Only.Contains(s.Name)))
{
    context.Log($"== {scenario.Title}");
    try
    {
        await scenario.RunAsync(context, cancel.Token);
    }
    catch (Exception ex) when (ex is not OperationCanceledException || !cancel.IsCancellationRequested)
    {
        failures++;
        context.Log($"!! {scenario.Name} failed: {ex}");
    }
}

var table = ResultTable.Markdown(context.Rows, MachineInfo.Describe(), MachineInfo.Commit(root), started, clock.Elapsed, options.Quick,
    loadBefore, MachineInfo.LoadAverage());
Console.WriteLine();
Console.WriteLine(table);
if (options.Output is { } output)
{
    ResultTable.Write(output, table);
    context.Log($"wrote {output}");
}
context.Log(failures == 0 ? "done" : $"{failures} scenario(s) failed");
return failures == 0 ? 0 : 1;

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MqttIoT.sln"))) return dir.FullName;
    throw new InvalidOperationException("cannot find the repository root (MqttIoT.sln) above " + AppContext.BaseDirectory);
}
