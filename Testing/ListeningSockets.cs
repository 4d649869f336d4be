using System.Globalization;
using System.Net;

namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// The TCP sockets a process listens on, from Linux's /proc: the socket inodes among the process's open files
/// (/proc/PID/fd), looked up in /proc/net/tcp and /proc/net/tcp6 in state LISTEN (0A). What <c>ss -ltnp</c> shows,
/// without needing the tool.
/// </summary>
public static class ListeningSockets
{
    public static IReadOnlySet<IPEndPoint> Of(int processId)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd"))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; } // closed meanwhile
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
        }
        var listening = new HashSet<IPEndPoint>();
        foreach (var table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != "0A" || !inodes.Contains(fields[9])) continue;
                listening.Add(Parse(fields[1]));
            }
        }
        return listening;
    }

    /// <summary>"0100007F:075B" (IPv4) or 32 hex digits (IPv6): the address as 32-bit words in host (little-endian) order.</summary>
    private static IPEndPoint Parse(string field)
    {
        var colon = field.IndexOf(':');
        var hex = field[..colon];
        var port = int.Parse(field[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
            for (var b = 0; b < 4; b++)
                bytes[word * 4 + b] = byte.Parse(hex.AsSpan(word * 8 + (3 - b) * 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
