namespace LumoAuth.Agents.IntegrationTests;

/// <summary>
/// One scratch folder for the whole test run (data folders, SQLite files, keys, token files), removed when the run
/// ends, so repeated runs leave nothing behind. Servers restarted on another server's data folder share it freely.
/// </summary>
[SetUpFixture]
public sealed class Scratch
{
    private static readonly Lazy<string> Root = new(() => System.IO.Directory.CreateTempSubdirectory("lumo-agents-tests-").FullName);

    /// <summary>A new, empty folder under the run's scratch root.</summary>
    public static string Directory(string prefix)
    {
        var path = Path.Combine(Root.Value, prefix + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    [OneTimeTearDown]
    public void RemoveAll()
    {
        if (Root.IsValueCreated && System.IO.Directory.Exists(Root.Value))
        {
            System.IO.Directory.Delete(Root.Value, recursive: true);
        }
    }
}
