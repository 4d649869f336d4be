using System.Diagnostics;
using System.Text;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>Runs a real command-line program (mosquitto_rr, mosquitto_sub, dotnet...) with a deadline and captures what it printed.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public IEnumerable<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs a shell command line as a person would type it.</summary>
    public static Task<Result> ShellAsync(string commandLine, TimeSpan? timeout = null, string? workingDirectory = null) =>
        RunAsync("bash", ["-c", commandLine], timeout, workingDirectory);

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (environment is not null) foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var limit = timeout ?? Deadline.Default;
        try { await process.WaitForExitAsync(Deadline.Token(limit)); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {limit.TotalSeconds} s; output so far:\n{output}\n{error}");
        }
        process.WaitForExit(); // flush the output events
        return new Result(process.ExitCode, output.ToString(), error.ToString());
    }
}
