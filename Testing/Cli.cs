namespace MqttIoT.Tests.Infrastructure;

/// <summary>Runs a real command-line program (mosquitto_rr, mosquitto_sub, dotnet...) to its end with a deadline and captures what it printed.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public IEnumerable<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs a shell command line as a person would type it.</summary>
    public static Task<Result> ShellAsync(string commandLine, TimeSpan? timeout = null, string? workingDirectory = null) =>
        RunAsync("bash", ["-c", commandLine], timeout, workingDirectory);

    /// <summary>Runs a program; a program still running at the deadline is killed and a <see cref="TimeoutException"/> says what it printed.</summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var process = ChildProcess.Start(file, args, workingDirectory, environment, keptLines: int.MaxValue);
        await process.WaitForExitAsync(timeout ?? Deadline.Default);
        return new Result(process.ExitCode, Text(process.StandardOutput), Text(process.StandardError));
    }

    private static string Text(string lines) => lines.Length == 0 ? "" : lines + "\n";
}
