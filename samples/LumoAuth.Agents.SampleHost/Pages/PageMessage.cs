using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace LumoAuth.Agents.SampleHost.Pages;

/// <summary>A page that is one message with its status: a refused form, an unknown agent, a visitor who is not an administrator.</summary>
public sealed record PageMessage(string Title, string Text)
{
    private const string View = "/Pages/Shared/_Message.cshtml";

    /// <summary>The message as a whole page answered with <paramref name="statusCode"/>.</summary>
    public PartialViewResult ToResult(int statusCode, IModelMetadataProvider metadata) => new()
    {
        ViewName = View,
        StatusCode = statusCode,
        ViewData = new ViewDataDictionary<PageMessage>(metadata, new ModelStateDictionary()) { Model = this },
    };
}
