using System.Security.Cryptography;
using System.Text;

namespace MqttIoT.Broker.Auth;

/// <summary>
/// A Mosquitto password file (<c>user:hash</c> per line, as written by <c>mosquitto_passwd</c>), so one file serves
/// both brokers. Hashes: <c>$7$iterations$salt$hash</c> (PBKDF2-HMAC-SHA512, Mosquitto 2.0's default) and
/// <c>$6$salt$hash</c> (SHA-512 of password then salt, Mosquitto 1.x); salt and hash are base64.
/// </summary>
public sealed class PasswordFile
{
    private readonly Dictionary<string, Entry> _users;

    private PasswordFile(Dictionary<string, Entry> users) => _users = users;

    /// <summary>The user names in the file.</summary>
    public IReadOnlyCollection<string> Users => _users.Keys;

    /// <summary>Reads a password file; lines that are empty or start with '#' are skipped.</summary>
    /// <exception cref="FormatException">A line is not <c>user:$6$...</c> or <c>user:$7$...</c>.</exception>
    public static PasswordFile Load(string path) => Parse(File.ReadAllLines(path), path);

    /// <summary>Parses the lines of a password file.</summary>
    public static PasswordFile Parse(IEnumerable<string> lines, string source = "password file")
    {
        var users = new Dictionary<string, Entry>(StringComparer.Ordinal);
        int number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new FormatException($"{source}:{number}: expected user:hash");
            users[line[..colon]] = ParseHash(line[(colon + 1)..]) ?? throw new FormatException($"{source}:{number}: unsupported hash (want $6$ or $7$)");
        }
        return new PasswordFile(users);
    }

    /// <summary>Whether the user is in the file and the password is theirs.</summary>
    public bool Verify(string? user, string? password)
    {
        if (user is null || password is null || !_users.TryGetValue(user, out var entry)) return false;
        var bytes = Encoding.UTF8.GetBytes(password);
        byte[] computed = entry.Iterations > 0
            ? Rfc2898DeriveBytes.Pbkdf2(bytes, entry.Salt, entry.Iterations, HashAlgorithmName.SHA512, entry.Hash.Length)
            : SHA512.HashData([.. bytes, .. entry.Salt]);
        return CryptographicOperations.FixedTimeEquals(computed, entry.Hash);
    }

    private static Entry? ParseHash(string text)
    {
        var parts = text.Split('$');
        try
        {
            // "$7$101$salt$hash" splits to ["", "7", "101", salt, hash]; "$6$salt$hash" to ["", "6", salt, hash].
            if (parts is ["", "7", var iterations, var salt, var hash] && int.TryParse(iterations, out var n) && n > 0)
                return new Entry(Convert.FromBase64String(salt), Convert.FromBase64String(hash), n);
            if (parts is ["", "6", var salt6, var hash6])
                return new Entry(Convert.FromBase64String(salt6), Convert.FromBase64String(hash6), 0);
        }
        catch (FormatException) { }
        return null;
    }

    private sealed record Entry(byte[] Salt, byte[] Hash, int Iterations);
}
