namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>This repository's checkout, found from the test assembly's folder, for tests that read its files.</summary>
internal static class Repository
{
    /// <summary>The folder holding <c>LumoAuth.Agents.sln</c>.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LumoAuth.Agents.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
    }
}
