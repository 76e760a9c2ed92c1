namespace LumoAuth.Agents.Subjects;

/// <summary>A user as the server names and shows them.</summary>
/// <param name="Subject">The subject identifier (<c>user:&lt;id&gt;</c>).</param>
/// <param name="DisplayName">A name to show.</param>
public sealed record UserEntry(string Subject, string DisplayName);

/// <summary>
/// Finds the user an agent names when it asks for an approval (the CIBA <c>login_hint</c>). The host registers its own
/// (its user database); the default finds nobody, so every backchannel request is refused with <c>unknown_user_id</c>.
/// </summary>
public interface IUserDirectory
{
    /// <summary>The user <paramref name="loginHint"/> names (a user name, an e-mail address or a subject), or <see langword="null"/>.</summary>
    ValueTask<UserEntry?> FindAsync(string loginHint, CancellationToken cancellationToken);
}

/// <summary>The default <see cref="IUserDirectory"/>: knows no user.</summary>
public sealed class EmptyUserDirectory : IUserDirectory
{
    /// <inheritdoc />
    public ValueTask<UserEntry?> FindAsync(string loginHint, CancellationToken cancellationToken) => ValueTask.FromResult<UserEntry?>(null);
}
