using LumoAuth.Agents.Subjects;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>The test tenant's users, by name or e-mail address: alice and bob.</summary>
internal sealed class TestUserDirectory : IUserDirectory
{
    public ValueTask<UserEntry?> FindAsync(string loginHint, CancellationToken cancellationToken) => ValueTask.FromResult(loginHint switch
    {
        "alice" or "alice@acme-corp.example" => new UserEntry(SubjectIdentifier.ForUser("alice"), "Alice"),
        "bob" or "bob@acme-corp.example" => new UserEntry(SubjectIdentifier.ForUser("bob"), "Bob"),
        _ => null,
    });
}
