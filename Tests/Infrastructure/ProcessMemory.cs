using System.Globalization;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>What a child process holds in memory, from Linux's /proc (VmRSS): for tests that bound a host's memory.</summary>
public static class ProcessMemory
{
    public static long ResidentBytes(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
