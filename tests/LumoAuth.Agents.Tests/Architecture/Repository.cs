namespace LumoAuth.Agents.Tests.Architecture;

/// <summary>The repository the tests run from, for tests that read its sources, docs and build output.</summary>
internal static class Repository
{
    /// <summary>The folder holding LumoAuth.Agents.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "LumoAuth.Agents.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (LumoAuth.Agents.sln) was not found above the test's folder.");
    }
}
