/** Project slugs: kebab-case, as the envelope's `project_slug` requires (`^[a-z0-9]+(-[a-z0-9]+)*$`). */

const MAX_SLUG = 128;

/** `My_Project.v2` becomes `my-project-v2`; a name with no letters or digits becomes `project`. */
export function toSlug(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG)
    .replace(/-+$/g, "");
  return slug === "" ? "project" : slug;
}

export function isSlug(value: unknown): value is string {
  return typeof value === "string" && value.length <= MAX_SLUG && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(value);
}
