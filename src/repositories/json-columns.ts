/** A JSON array column (person ids, departments, custodians) as strings; NULL or '' is empty. */
export const jsonArray = (text: string | null | undefined): string[] => {
  if (text === null || text === undefined || text === '') return [];
  const v: unknown = JSON.parse(text);
  return Array.isArray(v) ? v.map(String) : [];
};
