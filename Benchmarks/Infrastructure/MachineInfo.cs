using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MqttIoT.Benchmarks.Infrastructure;

/// <summary>What the figures were measured on: machine, load, commit and date.</summary>
public static class MachineInfo
{
    /// <summary>CPU model and count, memory, OS and runtime, in one line.</summary>
    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memKb = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : null;
        var mem = long.TryParse(memKb, CultureInfo.InvariantCulture, out var kb) ? $"{kb / 1024.0 / 1024.0:0.0} GiB" : "?";
        return $"{cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}, {Environment.ProcessorCount} logical CPUs, {mem} RAM, " +
            $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}, {Mosquitto()}";
    }

    /// <summary>The 1, 5 and 15 minute load averages (other work on the machine shows here).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>The 1 minute load average as a number.</summary>
    public static double Load1() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture, out var l) ? l : double.NaN;

    /// <summary>The commit checked out, with "+changes" when the tree differs from it.</summary>
    public static string Commit(string repositoryRoot)
    {
        var head = Run("git", repositoryRoot, "rev-parse", "--short=10", "HEAD").Trim();
        // BENCHMARKS.md is this program's output: a change there is not a change to what was measured.
        var dirty = Run("git", repositoryRoot, "status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md").Trim().Length > 0;
        return string.IsNullOrEmpty(head) ? "unknown" : head + (dirty ? " +uncommitted changes" : "");
    }

    private static string Mosquitto()
    {
        var version = Run("mosquitto", "/", "-h").Split('\n').FirstOrDefault(l => l.Contains("version", StringComparison.OrdinalIgnoreCase))?.Trim();
        return version ?? "mosquitto ?";
    }

    private static string Run(string file, string directory, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory, UseShellExecute = false,
            })!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(5000);
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "";
        }
    }
}
