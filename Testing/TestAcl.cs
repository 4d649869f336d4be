namespace MqttIoT.Tests.Infrastructure;

/// <summary>
/// The repository's <c>auth/acl</c> for a test's users: the file as it is, plus, for each user it has no block for,
/// a copy of the block of station <c>sim-1</c> under that name, which is how auth/acl tells an operator to add a
/// station (every user a test adds besides "hub" and "client" is a station's gateway).
/// </summary>
public static class TestAcl
{
    /// <summary>The shipped ACL.</summary>
    public static string RepositoryFile => Path.Combine(MosquittoBroker.RepositoryRoot, "auth", "acl");

    /// <summary>Writes the ACL for <paramref name="users"/> to <paramref name="path"/> and returns the path.</summary>
    public static async Task<string> WriteAsync(string path, IEnumerable<string> users)
    {
        var lines = await File.ReadAllLinesAsync(RepositoryFile);
        var named = lines.Where(l => l.StartsWith("user ", StringComparison.Ordinal)).Select(l => l[5..].Trim()).ToHashSet(StringComparer.Ordinal);
        var station = lines.SkipWhile(l => l.Trim() != "user sim-1").Skip(1)
            .TakeWhile(l => l.StartsWith("topic ", StringComparison.Ordinal)).ToList();
        if (station.Count == 0) throw new InvalidOperationException($"{RepositoryFile} has no block for station sim-1 to copy");
        var output = new List<string>(lines);
        foreach (var user in users.Distinct(StringComparer.Ordinal).Where(u => !named.Contains(u)))
            output.AddRange(["", $"user {user}", .. station]);
        await File.WriteAllLinesAsync(path, output);
        return path;
    }
}
